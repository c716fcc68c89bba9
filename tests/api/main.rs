//! Integration tests: the real service on a loopback port, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod access;
mod admin;
mod alerts;
mod audit;
mod broadcasts;
mod browser;
mod cap;
mod checkins;
mod console;
mod contacts;
mod corrections;
mod delivery;
mod doubles;
mod duress;
mod enqueue;
mod flood;
mod exports;
mod helpers;
mod inbound;
mod kannel;
mod lifecycle;
mod logs;
mod outbound;
mod outbound_safety;
mod postgres;
mod process;
mod refusals;
mod sending_order;
mod shared_zones;
mod silence;
mod startup;
mod ussd;
mod reports;
mod retention;
mod zones;
