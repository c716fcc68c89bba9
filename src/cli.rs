//! The `vigie` command line as clap reads it: the commands and their options.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "vigie", version, about = "SMS/USSD early-warning gateway")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the gateway (`--demo`: with `config/demo.toml` and demo contacts).
    Serve {
        /// `config/vigie.toml`, or `config/demo.toml` with `--demo`.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Demo monitors, responders and a zone, for a first look (loopback only).
        #[arg(long)]
        demo: bool,
        /// Listen here instead of `server.listen` (`127.0.0.1:0` picks a free port).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Validate the configuration and exit.
    Check {
        #[arg(long, default_value = "config/vigie.toml")]
        config: PathBuf,
    },
    /// Create or upgrade the database schema and exit.
    Migrate {
        #[arg(long, default_value = "config/vigie.toml")]
        config: PathBuf,
    },
    /// Copy this SQLite database into an empty PostgreSQL database (migrated first):
    /// `vigie copy-to postgres://user:password@host/database`. Stop the gateway first.
    CopyTo {
        /// The PostgreSQL database's URL.
        url: String,
        #[arg(long, default_value = "config/vigie.toml")]
        config: PathBuf,
    },
    /// Import data: `vigie import contacts FILE.csv`.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// API tokens: `vigie token create --role viewer --zone Mopti`, `list`, `revoke ID`.
    Token {
        #[command(subcommand)]
        what: Token,
        #[arg(long, default_value = "config/vigie.toml", global = true)]
        config: PathBuf,
    },
    /// Purges raw texts and reporters' numbers older than `storage.retention_days` now.
    Purge {
        #[arg(long, default_value = "config/vigie.toml")]
        config: PathBuf,
    },
    /// The audit log's keyed hash chain: `vigie audit head` prints where it reaches, `vigie
    /// audit verify [--head COUNT:HASH]` names the first broken entry or a removed tail.
    Audit {
        #[command(subcommand)]
        what: Audit,
        #[arg(long, default_value = "config/vigie.toml", global = true)]
        config: PathBuf,
    },
    /// Parse one SMS as the gateway would and print the outcome as one JSON object.
    Parse {
        #[arg(long, default_value = "config/vigie.toml")]
        config: PathBuf,
        /// Print JSON (the only format).
        #[arg(long)]
        json: bool,
        /// The sender's language (`fr`, `en`); detected when not given.
        #[arg(long)]
        lang: Option<String>,
        /// The sender's home place: a gazetteer id or a place name.
        #[arg(long)]
        home: Option<String>,
        /// When the message was received (RFC 3339); now when not given.
        #[arg(long)]
        at: Option<String>,
        /// The message.
        #[arg(last = true, num_args = 0..)]
        text: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Import {
    /// Contacts from a CSV file with the header `phone,name,roles,language,home,zones,discreet`
    /// (roles and zones separated by `;`). Good rows are imported together; bad rows are
    /// listed with their line and the reason.
    Contacts {
        file: PathBuf,
        #[arg(long, default_value = "config/vigie.toml")]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Audit {
    /// Fails (exit 1) naming the first entry edited, inserted or removed, or, given the
    /// head an operator kept, a log that no longer reaches it.
    Verify {
        #[arg(long)]
        head: Option<vigie::audit::Head>,
    },
    /// Prints the log's head (`COUNT:HASH`), for an operator to keep outside the gateway.
    Head,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Token {
    /// Makes a token and prints it once (only its digest is stored).
    Create {
        /// admin, coordinator or viewer.
        #[arg(long)]
        role: String,
        /// Limits the token to these zones (zone codes, or admin units by name or id).
        #[arg(long = "zone")]
        zones: Vec<String>,
        /// A note to recognise it by in `vigie token list`.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Lists tokens (never the tokens themselves).
    List,
    /// Revokes a token: it is refused from the next request on.
    Revoke { id: i64 },
}
