//! Stage 3, incident: reports of one event, from different monitors, fused into one
//! incident that counts its independent sources. So far the pure core (`fuse`); storing
//! incidents, alerts and acknowledgements build on it.

pub mod fuse;
