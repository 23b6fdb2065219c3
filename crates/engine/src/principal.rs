//! Who is asking. Every engine entry point takes a [`Principal`]; the planner
//! compiles its policy (table matrix, column lists, row filters, sensitive-table
//! grants) into each plan, so no front-end can skip a rule.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The read/create/update/delete matrix of one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crud {
    pub read: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

impl Crud {
    pub const ALL: Crud = Crud { read: true, create: true, update: true, delete: true };
    pub const READ: Crud = Crud { read: true, create: false, update: false, delete: false };
    pub const NONE: Crud = Crud { read: false, create: false, update: false, delete: false };

    /// Letters from `crud` (`r` read only, `crud` all four).
    pub fn parse(letters: &str) -> Result<Crud, String> {
        let mut c = Crud::NONE;
        for ch in letters.chars() {
            match ch {
                'c' => c.create = true,
                'r' => c.read = true,
                'u' => c.update = true,
                'd' => c.delete = true,
                _ => return Err(format!("`{ch}` is not one of the letters c, r, u, d")),
            }
        }
        if c == Crud::NONE {
            return Err("give at least one of the letters c, r, u, d".into());
        }
        Ok(c)
    }

    pub fn any_write(self) -> bool {
        self.create || self.update || self.delete
    }
}

impl fmt::Display for Crud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, l) in [(self.create, 'c'), (self.read, 'r'), (self.update, 'u'), (self.delete, 'd')] {
            if on {
                write!(f, "{l}")?;
            }
        }
        Ok(())
    }
}

/// The coarse scopes of a token (SPEC §5/§6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes {
    pub tables: bool,
    pub views: bool,
    pub write: bool,
}

impl Default for Scopes {
    fn default() -> Self {
        Scopes { tables: true, views: true, write: false }
    }
}

/// What a token may do. Stored as JSON with the token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Every table (except sensitive ones), every permission.
    pub admin: bool,
    /// Read everything non-sensitive; writes always roll back (SPEC §9).
    pub sandbox: bool,
    pub scopes: Scopes,
    /// Resource → permissions; the key `*` applies to every resource.
    pub tables: BTreeMap<String, Crud>,
    /// Allowed columns per resource (absent = all non-secret columns).
    pub columns: BTreeMap<String, Vec<String>>,
    /// Row filters per resource: every listed column must equal the value.
    pub row_filters: BTreeMap<String, Vec<(String, String)>>,
    /// View allowlist (empty = all views).
    pub views: Vec<String>,
    /// Granted sensitive tables explicitly (`--allow-sensitive`).
    pub allow_sensitive: bool,
    pub cidrs: Vec<String>,
    pub origins: Vec<String>,
    /// Requests per minute; `None` = the server default.
    pub rate: Option<u32>,
}

impl Policy {
    /// Whether the token may use saved views, reports and report groups at all
    /// (the one definition of that rule; which views is [`Policy::views`]).
    pub fn may_use_definitions(&self) -> bool {
        self.admin || self.sandbox || self.scopes.views
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub policy: Policy,
}

impl Principal {
    /// The permissions on a resource, before sensitive-table rules.
    pub fn crud(&self, resource: &str) -> Crud {
        let p = &self.policy;
        if p.admin || p.sandbox {
            return Crud::ALL;
        }
        if !p.scopes.tables {
            return Crud::NONE;
        }
        let c = p.tables.get(resource).or_else(|| p.tables.get("*")).copied().unwrap_or(Crud::NONE);
        if p.scopes.write { c } else { Crud { read: c.read, ..Crud::NONE } }
    }

    /// Whether the token was explicitly granted this sensitive resource.
    pub fn may_touch_sensitive(&self, resource: &str) -> bool {
        self.policy.allow_sensitive && self.policy.tables.contains_key(resource)
    }

    /// The allowed columns of a resource, when restricted.
    pub fn columns(&self, resource: &str) -> Option<&[String]> {
        self.policy.columns.get(resource).map(Vec::as_slice)
    }

    /// The row filter of a resource.
    pub fn row_filter(&self, resource: &str) -> &[(String, String)] {
        self.policy.row_filters.get(resource).map(Vec::as_slice).unwrap_or(&[])
    }
}
