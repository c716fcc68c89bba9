//! Stage 6, outbound: the durable queue every SMS Vigie writes goes through.
//!
//! So far its pure cores: when to try a failed send again (`retry`) and which channel a
//! number is sent through (`routing`). The queue, the sender workers and the provider send
//! APIs build on them.

pub mod retry;
pub mod routing;
