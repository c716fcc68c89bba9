//! Integration tests: the real service on a loopback port, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod admin;
mod crash;
mod delivery;
mod helpers;
mod inbound;
mod refusals;
