//! Users, portal sessions and API tokens. Secrets are stored only as hashes
//! (argon2 for passwords, SHA-256 for random tokens), computed by the app.

use crate::inventory::Listed;
use crate::query::Filter;
use crate::{Page, StoreError, Tx};
use redegov_domain::ids::{AgencyId, OperatorId, UserId};
use redegov_domain::role::Role;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub operator_id: Option<OperatorId>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: Timestamp,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub operator_id: Option<OperatorId>,
    pub password_hash: String,
    pub created_at: Timestamp,
}

/// A portal session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserRecord,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

const USER_COLUMNS: &str = "u.id, u.login, u.name, u.email, u.role, u.agency_id, u.operator_id, u.password_hash, u.active, u.created_at";

impl Tx {
    pub async fn insert_user(&mut self, u: &NewUser) -> Result<UserRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO users (login, name, email, role, agency_id, operator_id, password_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id",
        )
        .bind(&u.login)
        .bind(&u.name)
        .bind(&u.email)
        .bind(u.role.as_str())
        .bind(u.agency_id.map(|a| a.0))
        .bind(u.operator_id.map(|o| o.0))
        .bind(&u.password_hash)
        .bind(u.created_at.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(UserRecord {
            id: UserId(row.try_get("id")?),
            login: u.login.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role,
            agency_id: u.agency_id,
            operator_id: u.operator_id,
            password_hash: u.password_hash.clone(),
            active: true,
            created_at: u.created_at,
        })
    }

    pub async fn user_by_login(&mut self, login: &str) -> Result<UserRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.login = $1"
        )))
        .bind(login)
        .fetch_one(self.conn())
        .await?;
        decode_user(&row)
    }

    pub async fn user(&mut self, id: UserId) -> Result<UserRecord, StoreError> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1")))
                .bind(id.0)
                .fetch_one(self.conn())
                .await?;
        decode_user(&row)
    }

    pub async fn count_users(&mut self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(self.conn()).await?.try_get(0)?)
    }

    pub async fn list_users(&mut self, page: Page) -> Result<Listed<UserRecord>, StoreError> {
        let mut q = Filter::default();
        let total: i64 =
            q.query("SELECT COUNT(*) FROM users".into()).fetch_one(self.conn()).await?.try_get(0)?;
        let page_sql = q.page_sql(page);
        let rows = q
            .query(format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.login{page_sql}"))
            .fetch_all(self.conn())
            .await?;
        Ok(Listed { items: rows.iter().map(decode_user).collect::<Result<_, _>>()?, total })
    }

    pub async fn set_password(&mut self, id: UserId, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_user_active(&mut self, id: UserId, active: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    // ----- sessions -----

    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user: UserId,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(csrf_token)
        .bind(now.timestamp())
        .bind(expires_at.timestamp())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The live session with this token hash, with its (active) user.
    pub async fn session(&mut self, token_hash: &str, now: Timestamp) -> Result<SessionRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1"
        )))
        .bind(token_hash)
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(SessionRecord {
            user: decode_user(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: from_epoch(row.try_get("expires_at")?),
        })
    }

    pub async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.timestamp())
            .execute(self.conn())
            .await?
            .rows_affected())
    }

    // ----- API tokens -----

    pub async fn insert_api_token(
        &mut self,
        token_hash: &str,
        user: UserId,
        name: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(name)
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// The active user owning this (unrevoked) token.
    pub async fn user_by_token(&mut self, token_hash: &str) -> Result<UserRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1"
        )))
        .bind(token_hash)
        .fetch_one(self.conn())
        .await?;
        decode_user(&row)
    }
}

fn decode_user(r: &AnyRow) -> Result<UserRecord, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(UserRecord {
        id: UserId(r.try_get("id")?),
        login: r.try_get("login")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: Role::parse("role", &role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        agency_id: r.try_get::<Option<i64>, _>("agency_id")?.map(AgencyId),
        operator_id: r.try_get::<Option<i64>, _>("operator_id")?.map(OperatorId),
        password_hash: r.try_get("password_hash")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: from_epoch(r.try_get("created_at")?),
    })
}
