//! The one error kind of the engine. Every engine error (planning, database,
//! writes) says which [`ErrorKind`] it is; each front-end maps a kind through one
//! table (the server's `problem.rs`: HTTP status, problem type, GraphQL code), so
//! a timeout is a timeout in REST, GraphQL, views and reports alike.

/// What kind of failure an engine error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No such resource or row (or outside the caller's row filter).
    NotFound,
    /// The caller may not do this.
    Forbidden,
    /// A malformed or unknown parameter.
    BadParam,
    /// Body fields that cannot be written, by field.
    Invalid,
    /// A unique or foreign-key conflict.
    Conflict,
    /// A value the database refused (range, length, constraint).
    Rejected,
    /// The row changed since the caller's ETag.
    PreconditionFailed,
    /// A statement ran past its deadline and was cancelled.
    Timeout,
    /// The database cannot be reached.
    Unavailable,
    /// Anything else; its text goes to the log, never to a response.
    Internal,
}
