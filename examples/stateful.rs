//! A stateful activity: a value implementing `Activity` that holds a
//! connection pool shared by every task it runs, however many run at once.
//!
//! ```sh
//! cargo run --example stateful
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use taskrunner::{Activity, BoxError, Outcome, TaskContext};
use tokio::sync::Semaphore;

/// Stands in for a database pool: two connections, and a query counter.
struct Pool {
    connections: Semaphore,
    queries: AtomicU64,
}

/// Loads a table on a pooled connection (waiting unless cancelled first).
struct LoadTable {
    pool: Pool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    my_table: String,
}

impl Activity for LoadTable {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let params: Params = ctx.fields()?;
        let _connection = ctx
            .until_cancelled(self.pool.connections.acquire())
            .await??;
        let query = self.pool.queries.fetch_add(1, Ordering::Relaxed) + 1;
        println!("loaded {} (query {query} on the pool)", params.my_table);
        Ok(Outcome::Finished)
    }
}

mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let load = |table| {
        [
            ("type", "ShellCommandActivity"),
            ("command", "true"),
            ("myActivity", "load"),
            ("myTable", table),
        ]
    };
    let (users, orders) = (load("users"), load("orders"));
    let pool = Pool {
        connections: Semaphore::new(2),
        queries: AtomicU64::new(0),
    };
    support::run(&[("Users", &users), ("Orders", &orders)], |runner| {
        runner.activity_for_field("myActivity", "load", LoadTable { pool })
    })
    .await
}
