//! The dialect-neutral definition of the demo schema.
//!
//! The demo database mirrors Perfex CRM 3.0 (see `perfex-schema.md`): real
//! table and column names, types, nullability, defaults and primary keys. The
//! schema is written once here (and in the `tables_*` files) as plain data and
//! rendered to SQLite, MySQL/MariaDB and PostgreSQL DDL by `ddl.rs`.

use super::{tables_core, tables_sales, tables_work};

/// A column type, named after the MySQL type Perfex declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// `int`
    Int,
    /// `int unsigned`
    UInt,
    /// `tinyint(1)` (a flag)
    TinyInt1,
    /// `bigint`
    BigInt,
    /// `decimal(precision, scale)`
    Decimal(u8, u8),
    /// `varchar(n)`
    Varchar(u16),
    /// `char(n)`
    Char(u16),
    /// `text`
    Text,
    /// `mediumtext`
    MediumText,
    /// `longtext`
    LongText,
    /// `date`
    Date,
    /// `datetime`
    DateTime,
    /// `timestamp`
    Timestamp,
    /// `blob`
    Blob,
}

/// A column default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// No DEFAULT clause.
    None,
    /// An integer literal.
    Int(i64),
    /// A numeric literal written as is, e.g. `0.00`.
    Num(&'static str),
    /// A string literal.
    Str(&'static str),
    /// `CURRENT_TIMESTAMP`, refreshed on update where the dialect supports it (MySQL).
    NowOnUpdate,
}

/// One column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Dialect-neutral type.
    pub ty: ColType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The DEFAULT clause.
    pub default: DefaultValue,
}

impl Column {
    /// Whether an INSERT must supply this column (NOT NULL, no default, not auto-increment).
    pub fn required(&self) -> bool {
        !self.nullable && self.default == DefaultValue::None
    }

    /// With an integer default.
    pub(crate) const fn def(self, v: i64) -> Column {
        Column { default: DefaultValue::Int(v), ..self }
    }

    /// With a numeric default written as is.
    pub(crate) const fn def_num(self, v: &'static str) -> Column {
        Column { default: DefaultValue::Num(v), ..self }
    }

    /// With a string default.
    pub(crate) const fn def_str(self, v: &'static str) -> Column {
        Column { default: DefaultValue::Str(v), ..self }
    }

    /// With `DEFAULT CURRENT_TIMESTAMP [ON UPDATE CURRENT_TIMESTAMP]`.
    pub(crate) const fn def_now(self) -> Column {
        Column { default: DefaultValue::NowOnUpdate, ..self }
    }
}

/// The primary key of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrimaryKey {
    /// No primary key.
    None,
    /// An auto-increment integer column.
    Auto(&'static str),
    /// A plain (non-generated) key column.
    Natural(&'static str),
}

/// One table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Table name, with the `tbl` prefix.
    pub name: &'static str,
    /// The primary key.
    pub pk: PrimaryKey,
    /// Columns in declaration order.
    pub columns: &'static [Column],
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The auto-increment primary-key column, if any.
    pub fn serial(&self) -> Option<&'static str> {
        match self.pk {
            PrimaryKey::Auto(c) => Some(c),
            _ => None,
        }
    }
}

/// A plain (non-unique) index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// Indexed table.
    pub table: &'static str,
    /// Indexed columns, in order.
    pub columns: &'static [&'static str],
}

impl Index {
    /// The index name: `idx_<table>_<col>[_<col>…]`.
    pub fn name(&self) -> String {
        format!("idx_{}_{}", self.table, self.columns.join("_"))
    }
}

/// A NOT NULL column without default.
pub(crate) const fn nn(name: &'static str, ty: ColType) -> Column {
    Column { name, ty, nullable: false, default: DefaultValue::None }
}

/// A nullable column without default.
pub(crate) const fn null(name: &'static str, ty: ColType) -> Column {
    Column { name, ty, nullable: true, default: DefaultValue::None }
}

/// A table whose primary key is the auto-increment column `pk`.
pub(crate) const fn auto(name: &'static str, pk: &'static str, columns: &'static [Column]) -> Table {
    Table { name, pk: PrimaryKey::Auto(pk), columns }
}

/// Shorthands used by the table definitions.
pub(crate) mod t {
    use super::ColType;
    pub(crate) const INT: ColType = ColType::Int;
    pub(crate) const TINY: ColType = ColType::TinyInt1;
    pub(crate) const DEC: ColType = ColType::Decimal(15, 2);
    pub(crate) const TEXT: ColType = ColType::Text;
    pub(crate) const MTEXT: ColType = ColType::MediumText;
    pub(crate) const LTEXT: ColType = ColType::LongText;
    pub(crate) const DATE: ColType = ColType::Date;
    pub(crate) const DT: ColType = ColType::DateTime;
    pub(crate) const fn vc(n: u16) -> ColType {
        ColType::Varchar(n)
    }
    pub(crate) const fn ch(n: u16) -> ColType {
        ColType::Char(n)
    }
}

/// Every table, in creation and insert order (lookups first).
pub(crate) static TABLES: [Table; 44] = [
    tables_core::MIGRATIONS,
    tables_core::OPTIONS,
    tables_core::ROLES,
    tables_core::STAFF,
    tables_core::DEPARTMENTS,
    tables_core::COUNTRIES,
    tables_core::CURRENCIES,
    tables_core::TAXES,
    tables_core::PAYMENT_MODES,
    tables_core::CUSTOMERS_GROUPS,
    tables_core::LEADS_STATUS,
    tables_core::LEADS_SOURCES,
    tables_core::TICKETS_STATUS,
    tables_core::TICKETS_PRIORITIES,
    tables_core::SERVICES,
    tables_core::ITEMS_GROUPS,
    tables_core::ITEMS,
    tables_core::CONTRACTS_TYPES,
    tables_core::EXPENSES_CATEGORIES,
    tables_work::CUSTOMFIELDS,
    tables_core::LEADS,
    tables_core::CLIENTS,
    tables_core::CUSTOMER_GROUPS,
    tables_core::CONTACTS,
    tables_work::PROJECTS,
    tables_work::PROJECT_MEMBERS,
    tables_work::MILESTONES,
    tables_work::TASKS,
    tables_work::TASK_ASSIGNED,
    tables_sales::INVOICES,
    tables_sales::ITEMABLE,
    tables_sales::ITEM_TAX,
    tables_sales::PAYMENTS,
    tables_sales::ESTIMATES,
    tables_sales::PROPOSALS,
    tables_work::CONTRACTS,
    tables_work::EXPENSES,
    tables_work::TICKETS,
    tables_work::CUSTOMFIELDSVALUES,
    tables_work::NOTES,
    tables_work::ACTIVITY_LOG,
    tables_work::VAULT,
    tables_work::USER_AUTO_LOGIN,
    tables_work::SESSIONS,
];

/// Plain indexes on the main relation and filter columns.
pub(crate) static INDEXES: &[Index] = &[
    Index { table: "tbloptions", columns: &["name"] },
    Index { table: "tblclients", columns: &["country"] },
    Index { table: "tblcontacts", columns: &["userid"] },
    Index { table: "tblleads", columns: &["status"] },
    Index { table: "tblleads", columns: &["assigned"] },
    Index { table: "tblprojects", columns: &["clientid"] },
    Index { table: "tblproject_members", columns: &["project_id"] },
    Index { table: "tblmilestones", columns: &["project_id"] },
    Index { table: "tbltasks", columns: &["rel_type", "rel_id"] },
    Index { table: "tbltask_assigned", columns: &["taskid"] },
    Index { table: "tblinvoices", columns: &["clientid"] },
    Index { table: "tblinvoices", columns: &["status"] },
    Index { table: "tblinvoices", columns: &["date"] },
    Index { table: "tblitemable", columns: &["rel_type", "rel_id"] },
    Index { table: "tblitem_tax", columns: &["itemid"] },
    Index { table: "tblinvoicepaymentrecords", columns: &["invoiceid"] },
    Index { table: "tblestimates", columns: &["clientid"] },
    Index { table: "tblcontracts", columns: &["client"] },
    Index { table: "tblexpenses", columns: &["clientid"] },
    Index { table: "tbltickets", columns: &["userid"] },
    Index { table: "tblcustomer_groups", columns: &["customer_id"] },
    Index { table: "tblcustomfieldsvalues", columns: &["relid", "fieldto"] },
    Index { table: "tblnotes", columns: &["rel_type", "rel_id"] },
];

/// Every table of the demo schema, in creation and insert order.
pub fn tables() -> &'static [Table] {
    &TABLES
}

/// The table called `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}
