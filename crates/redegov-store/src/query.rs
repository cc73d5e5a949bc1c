//! A tiny builder for the dynamic parts of queries (optional filters), so
//! placeholders are numbered correctly on both backends and values are always
//! bound, never spliced into SQL text.

use sqlx::any::AnyArguments;
use sqlx::{Any, AssertSqlSafe};

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
}

/// A page request: 1-based page number and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub page_size: i64,
}

impl Page {
    pub const MAX_SIZE: i64 = 1000;

    pub fn offset(self) -> i64 {
        (self.page.max(1) - 1) * self.page_size
    }

    /// Every row (exports): a single page as large as needed.
    pub fn all() -> Page {
        Page { page: 1, page_size: i64::MAX / 4 }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page { page: 1, page_size: 50 }
    }
}

/// Conditions joined by AND, with their values.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    /// The next placeholder, binding `value` to it.
    pub fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    /// Adds a condition; `clause` uses `{}` where the placeholder goes.
    pub fn push(&mut self, clause: &str, value: Value) {
        let placeholder = self.bind(value);
        self.clauses.push(clause.replace("{}", &placeholder));
    }

    /// Adds a condition built by the caller (which bound its own values).
    pub fn push_raw(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    pub fn int(&mut self, clause: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.push(clause, Value::Int(v));
        }
    }

    pub fn text(&mut self, clause: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.push(clause, Value::Text(v.to_string()));
        }
    }

    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    /// Builds a query from `sql` (whose `$n` refer to this filter's values)
    /// with every value bound.
    pub fn query(&self, sql: String) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in &self.values {
            q = match v {
                Value::Int(i) => q.bind(*i),
                Value::Text(t) => q.bind(t.clone()),
            };
        }
        q
    }

    /// `LIMIT/OFFSET` for `page`, bound like any other value.
    pub fn page_sql(&mut self, page: Page) -> String {
        let limit = self.bind(Value::Int(page.page_size));
        let offset = self.bind(Value::Int(page.offset()));
        format!(" LIMIT {limit} OFFSET {offset}")
    }
}

/// Rows per multi-row `INSERT`. Far under both backends' limits on bound
/// parameters; kept small because binding a parameter in sqlx-sqlite looks
/// its name up with a linear scan (`sqlite3_bind_parameter_name`), so the
/// cost per statement grows with the square of its parameters (measured:
/// 500 rows × 13 columns spent 88 % of an import there).
pub(crate) const MAX_ROWS_PER_INSERT: usize = 40;

/// Appends `(\$1, …, \$k), (…)` for `rows` rows of `columns` values each.
pub(crate) fn push_placeholders(sql: &mut String, rows: usize, columns: usize) {
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_across_rows() {
        let mut sql = String::new();
        super::push_placeholders(&mut sql, 2, 3);
        assert_eq!(sql, "($1, $2, $3), ($4, $5, $6)");
    }
}
