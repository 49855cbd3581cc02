//! Opening the state file: SQLite settings, the format version, and the
//! tables.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::error::{reading, StateError};

/// The format this build writes and reads (`PRAGMA user_version`).
pub(super) const VERSION: i64 = 1;

/// Marks the file as ours (`PRAGMA application_id`): "DPLS".
const APPLICATION_ID: i64 = 0x4450_4c53;

/// The tables. Rows written on every call (pipeline headers, instances,
/// attempts) are in `WITHOUT ROWID` tables, so that an update touches one
/// b-tree rather than a table and its key index; definitions, large and
/// rarely written, keep a rowid table.
const TABLES: &str = "
    CREATE TABLE meta (key TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE pipelines (id TEXT PRIMARY KEY, header TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE definitions (pipeline TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE instances (pipeline TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                            PRIMARY KEY (pipeline, id)) WITHOUT ROWID;
    CREATE TABLE attempts (pipeline TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                           PRIMARY KEY (pipeline, id)) WITHOUT ROWID;
    CREATE TABLE queue (sequence INTEGER PRIMARY KEY, worker_group TEXT NOT NULL,
                        pipeline TEXT NOT NULL, attempt TEXT NOT NULL);
    CREATE TABLE timers (sequence INTEGER PRIMARY KEY, due_millis INTEGER NOT NULL,
                         event TEXT NOT NULL);
";

/// Tables added since version 1: created with the others in a new file,
/// and in a file written before them when it is opened.
const ADDED_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS ledger (sequence INTEGER PRIMARY KEY, at_millis INTEGER NOT NULL,
                                       event TEXT NOT NULL);
";

/// Opens or creates the state file at `path`, takes it for this process
/// alone, and checks that it is ours, of a version we read, and intact.
pub(super) fn open(path: &Path) -> Result<Connection, StateError> {
    if path.is_dir() {
        return Err(StateError::Open {
            path: path.to_path_buf(),
            reason: "it is a directory; give the path of a file".into(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(path, flags).map_err(|error| reading(path, &error))?;
    settle(&connection).map_err(|error| reading(path, &error))?;
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|error| reading(path, &error))?;
    let application: i64 = connection
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|error| reading(path, &error))?;
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|error| reading(path, &error))?;
    let foreign = || StateError::NotAStateFile {
        path: path.to_path_buf(),
        reason: "a SQLite database of another program".into(),
    };
    if version == 0 {
        if tables > 0 || application != 0 {
            return Err(foreign());
        }
        create(&connection).map_err(|error| reading(path, &error))?;
        return Ok(connection);
    }
    if application != APPLICATION_ID {
        return Err(foreign());
    }
    if version > VERSION {
        return Err(StateError::FutureVersion {
            path: path.to_path_buf(),
            found: version,
            supported: VERSION,
        });
    }
    check(path, &connection)?;
    connection
        .execute_batch(ADDED_TABLES)
        .map_err(|error| reading(path, &error))?;
    Ok(connection)
}

/// One process at a time (exclusive locking, taken now rather than at the
/// first write), WAL, and commits that survive the process being killed.
///
/// `synchronous = NORMAL` in WAL mode makes a commit a write to the WAL
/// file without an fsync: the operating system keeps it through a SIGKILL
/// of the service, not through a power cut or a kernel crash. A local
/// test service needs the first, and the fsync per call would cost more
/// than the call.
fn settle(connection: &Connection) -> rusqlite::Result<()> {
    // A file another process holds is refused at once (StateError::InUse)
    // rather than after rusqlite's default five-second wait; the service is
    // the file's only user, so nothing else ever waits.
    connection.busy_timeout(std::time::Duration::ZERO)?;
    connection.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let _mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    // The same few pages (headers, counters) are rewritten by every call; a
    // longer WAL copies each of them back to the database once per
    // checkpoint rather than once per thousand pages written.
    connection.pragma_update(None, "wal_autocheckpoint", 8192)?;
    connection.execute_batch("BEGIN IMMEDIATE; COMMIT;")?;
    Ok(())
}

fn create(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(&format!(
        "BEGIN; {TABLES} {ADDED_TABLES} PRAGMA application_id = {APPLICATION_ID}; \
         PRAGMA user_version = {VERSION}; COMMIT;"
    ))
}

/// SQLite's own check of the file's structure: a file damaged in the
/// middle (a bad copy, a truncation) is refused at start rather than found
/// out by a request.
fn check(path: &Path, connection: &Connection) -> Result<(), StateError> {
    let verdict: String = connection
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|error| reading(path, &error))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(StateError::Corrupt {
            path: path.to_path_buf(),
            reason: verdict,
        })
    }
}
