//! SQL text. [`Sql`] is the only carrier of statement text to the executor:
//! `render.rs` builds it from plans (identifiers from the catalog, quoted per
//! dialect; every value a bound parameter) and [`Sql::fixed`] wraps the
//! literal statements of the state store. Nothing else can make one.

mod render;

pub use render::{
    render_count, render_counter_read, render_counter_upsert, render_delete, render_insert, render_insert_rows,
    render_report, render_report_count, render_select, render_setval, render_update,
};

use crate::catalog::Dialect;
use crate::value::Value;

/// A statement and its bound parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub(crate) text: String,
    pub(crate) params: Vec<Value>,
}

impl Sql {
    /// The statement text (for logs and snapshot tests; never contains values).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The bound parameters.
    pub fn params(&self) -> &[Value] {
        &self.params
    }

    /// A literal statement over one named table: `{t}` becomes the quoted
    /// identifier `table` (a state table, named from the configured prefix),
    /// `?` placeholders are renumbered as in [`Sql::fixed`].
    pub fn fixed_table(dialect: Dialect, template: &'static str, table: &str, params: Vec<Value>) -> Sql {
        let mut b = Builder::new(dialect);
        let mut params = params.into_iter();
        for (i, piece) in template.split("{t}").enumerate() {
            if i > 0 {
                b.ident(table);
            }
            b.template(piece, &mut params);
        }
        b.finish()
    }

    /// Statement text generated from the engine's own static definitions (demo DDL).
    pub(crate) fn trusted(text: String) -> Sql {
        Sql { text, params: Vec::new() }
    }

    /// A literal statement written with `?` placeholders, renumbered to `$n` for
    /// PostgreSQL. Only `'static` text is accepted, so no caller input can get in.
    pub fn fixed(dialect: Dialect, text: &'static str, params: Vec<Value>) -> Sql {
        let mut b = Builder::new(dialect);
        b.template(text, &mut params.into_iter());
        b.finish()
    }
}

/// Builds statement text for one dialect.
pub(crate) struct Builder {
    pub dialect: Dialect,
    pub text: String,
    pub params: Vec<Value>,
    n: usize,
}

impl Builder {
    pub fn new(dialect: Dialect) -> Builder {
        Builder { dialect, text: String::with_capacity(256), params: Vec::new(), n: 0 }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// A quoted identifier. Identifiers come from the catalog; quotes inside are doubled anyway.
    pub fn ident(&mut self, name: &str) -> &mut Self {
        let q = if self.dialect == Dialect::MySql { '`' } else { '"' };
        self.text.push(q);
        for c in name.chars() {
            if c == q {
                self.text.push(q);
            }
            self.text.push(c);
        }
        self.text.push(q);
        self
    }

    fn placeholder(&mut self) {
        self.n += 1;
        if self.dialect == Dialect::Postgres {
            self.text.push('$');
            self.text.push_str(&self.n.to_string());
        } else {
            self.text.push('?');
        }
    }

    /// A bound parameter. NULL is written as the keyword: PostgreSQL refuses a
    /// NULL bound as text for a column of another type, and it carries no data.
    pub fn param(&mut self, v: Value) -> &mut Self {
        if v == Value::Null {
            self.text.push_str("NULL");
            return self;
        }
        self.placeholder();
        self.params.push(v);
        self
    }

    /// Literal text whose `?` placeholders take the next values of `params`.
    fn template(&mut self, text: &str, params: &mut impl Iterator<Item = Value>) {
        let mut parts = text.split('?');
        self.text.push_str(parts.next().unwrap_or(""));
        for part in parts {
            self.param(params.next().unwrap_or(Value::Null));
            self.text.push_str(part);
        }
    }

    pub fn finish(self) -> Sql {
        Sql { text: self.text, params: self.params }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_renumbers_for_postgres() {
        let s =
            Sql::fixed(Dialect::Postgres, "SELECT a FROM t WHERE b = ? AND c = ?", vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(s.text(), "SELECT a FROM t WHERE b = $1 AND c = $2");
        let s = Sql::fixed(Dialect::MySql, "SELECT a FROM t WHERE b = ? AND c = ?", vec![Value::Null, Value::Int(1)]);
        assert_eq!(s.text(), "SELECT a FROM t WHERE b = NULL AND c = ?");
        assert_eq!(s.params(), &[Value::Int(1)]);
    }

    #[test]
    fn identifiers_are_quoted_and_escaped() {
        let mut b = Builder::new(Dialect::MySql);
        b.ident("we`ird");
        assert_eq!(b.text, "`we``ird`");
        let mut b = Builder::new(Dialect::Postgres);
        b.ident("x\"y");
        assert_eq!(b.text, "\"x\"\"y\"");
    }
}
