//! Users, passwords, portal sessions and API tokens.
//!
//! Passwords are hashed with argon2id (OWASP parameters) on a blocking
//! thread; session and API tokens are 256-bit random values of which only the
//! SHA-256 is stored, so a database dump grants no access.

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write};
use crate::{App, AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::{AgencyId, OperatorId, UserId};
use redegov_domain::role::{Actor, Role, scope_for};
use redegov_store::StoreError;
use redegov_store::users::{NewUser, UserRecord};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long a portal session lives.
pub const SESSION_HOURS: i64 = 12;
pub const MIN_PASSWORD_LEN: usize = 8;

/// A user as shown to others (no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub operator_id: Option<OperatorId>,
    pub active: bool,
}

impl From<&UserRecord> for User {
    fn from(u: &UserRecord) -> Self {
        User {
            id: u.id,
            login: u.login.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role,
            agency_id: u.agency_id,
            operator_id: u.operator_id,
            active: u.active,
        }
    }
}

/// Input for a new user.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub operator_id: Option<OperatorId>,
    pub password: String,
}

/// A portal session just opened.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub actor: Actor,
}

/// An authenticated portal session.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub name: String,
    pub csrf_token: String,
}

/// A fresh random token, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A password long enough to be accepted (the one rule, shared by the CLI,
/// the admin and invitation links).
pub fn check_password(password: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        Err(FieldError::new(
            "password",
            Rule::Other(format!("must have at least {MIN_PASSWORD_LEN} characters")),
        ))
    } else {
        Ok(())
    }
}

fn check_login(login: &str) -> Result<String, FieldError> {
    let login = login.trim().to_lowercase();
    let ok = (3..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if ok {
        Ok(login)
    } else {
        Err(FieldError::new(
            "login",
            Rule::Malformed("3 a 64 caracteres: letras minúsculas, dígitos, . _ - @"),
        ))
    }
}

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// The actor a stored user acts as. A row whose binding is inconsistent
/// (which the constraints prevent) is refused rather than widened.
pub fn actor_of(user: &UserRecord) -> AppResult<Actor> {
    let scope =
        scope_for(user.role, user.agency_id, user.operator_id).map_err(|_| AppError::Unauthenticated)?;
    Ok(Actor { user_id: user.id, login: user.login.clone(), role: user.role, scope })
}

impl App {
    /// Creates a user (admin only; `Actor::system()` for the CLI).
    pub async fn create_user(&self, actor: &Actor, input: UserInput) -> AppResult<User> {
        require_write(actor, Resource::User)?;
        let login = check_login(&input.login)?;
        scope_for(input.role, input.agency_id, input.operator_id)?;
        check_password(&input.password)?;
        let password_hash = hash_password(&input.password).await?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        if let Some(agency) = input.agency_id {
            tx.agency(agency).await.map_err(|_| FieldError::new("agency_id", Rule::UnknownReference))?;
        }
        if let Some(operator) = input.operator_id {
            tx.operator(operator)
                .await
                .map_err(|_| FieldError::new("operator_id", Rule::UnknownReference))?;
        }
        let name = if input.name.trim().is_empty() { login.clone() } else { input.name.trim().to_string() };
        let record = tx
            .insert_user(&NewUser {
                login,
                name,
                email: input.email.trim().to_string(),
                role: input.role,
                agency_id: input.agency_id,
                operator_id: input.operator_id,
                password_hash,
                created_at: now,
            })
            .await
            .map_err(AppError::unique(&["login"]))?;
        let user = User::from(&record);
        record_user(&mut tx, actor, now, Action::Create, None, Some(&user)).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Lists users (admin only).
    pub async fn list_users(&self, actor: &Actor, page: crate::Page) -> AppResult<crate::Listed<User>> {
        require_write(actor, Resource::User)?;
        let mut tx = self.store().read().await?;
        let listed = tx.list_users(page).await?;
        Ok(crate::Listed { items: listed.items.iter().map(User::from).collect(), total: listed.total })
    }

    /// Sets a user's password (admin, or the system for the CLI).
    pub async fn set_password(&self, actor: &Actor, login: &str, password: &str) -> AppResult<()> {
        require_write(actor, Resource::User)?;
        check_password(password)?;
        let hash = hash_password(password).await?;
        let mut tx = self.store().write().await?;
        let user = tx.user_by_login(login).await.map_err(AppError::not_found("user"))?;
        tx.set_password(user.id, &hash).await?;
        let shown = User::from(&user);
        record_user(&mut tx, actor, self.now(), Action::Update, Some(&shown), Some(&shown)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// On first start: creates `admin` when there are no users. Returns the
    /// password when one was generated (to print once), `None` otherwise.
    pub async fn bootstrap_admin(&self, password: Option<String>) -> AppResult<Option<String>> {
        {
            let mut tx = self.store().read().await?;
            if tx.count_users().await? > 0 {
                return Ok(None);
            }
        }
        let generated = password.is_none();
        let password = password.unwrap_or_else(|| random_token(9));
        let input = UserInput {
            login: "admin".into(),
            name: "Administrador".into(),
            email: String::new(),
            role: Role::Admin,
            agency_id: None,
            operator_id: None,
            password: password.clone(),
        };
        match self.create_user(&Actor::system(), input).await {
            Ok(_) => Ok(generated.then_some(password)),
            // Another process created it first: nothing to print.
            Err(AppError::Invalid(FieldError { rule: Rule::Duplicate, .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Checks a login and password and opens a portal session.
    pub async fn login(&self, login: &str, password: &str) -> AppResult<NewSession> {
        let user = {
            let mut tx = self.store().read().await?;
            match tx.user_by_login(login.trim()).await {
                Ok(u) => Some(u),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            }
        };
        let Some(user) = user.filter(|u| u.active) else {
            // Spend the same time as a real check, so logins cannot be probed.
            let _ = hash_password(password).await;
            return Err(AppError::Unauthenticated);
        };
        if !verify_password(password, &user.password_hash).await {
            return Err(AppError::Unauthenticated);
        }
        let actor = actor_of(&user)?;
        let token = random_token(32);
        let csrf_token = random_token(32);
        let now = self.now();
        let mut tx = self.store().write().await?;
        tx.delete_expired_sessions(now).await?;
        tx.insert_session(
            &token_hash(&token),
            user.id,
            &csrf_token,
            now,
            now + chrono::Duration::hours(SESSION_HOURS),
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession { token, csrf_token, actor })
    }

    /// The session behind a cookie token, if it is alive.
    pub async fn session(&self, token: &str) -> AppResult<Session> {
        let mut tx = self.store().read().await?;
        match tx.session(&token_hash(token), self.now()).await {
            Ok(s) => {
                Ok(Session { actor: actor_of(&s.user)?, name: s.user.name.clone(), csrf_token: s.csrf_token })
            }
            Err(StoreError::NotFound) => Err(AppError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        tx.delete_session(&token_hash(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issues an API bearer token for `login` (admin or system). The token is
    /// shown once; only its hash is kept.
    pub async fn create_api_token(&self, actor: &Actor, login: &str, name: &str) -> AppResult<String> {
        require_write(actor, Resource::User)?;
        let token = format!("rg_{}", random_token(24));
        let now = self.now();
        let mut tx = self.store().write().await?;
        let user = tx.user_by_login(login.trim()).await.map_err(AppError::not_found("user"))?;
        let id = tx.insert_api_token(&token_hash(&token), user.id, name, now).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "api_token",
            Some(id),
            None::<&()>,
            Some(&serde_json::json!({"user": user.login, "name": name})),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The actor behind a bearer token.
    pub async fn authenticate_token(&self, token: &str) -> AppResult<Actor> {
        let mut tx = self.store().read().await?;
        match tx.user_by_token(&token_hash(token)).await {
            Ok(user) => actor_of(&user),
            Err(StoreError::NotFound) => Err(AppError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }
}

async fn record_user(
    tx: &mut redegov_store::Tx,
    actor: &Actor,
    at: redegov_domain::time::Timestamp,
    action: Action,
    before: Option<&User>,
    after: Option<&User>,
) -> AppResult<()> {
    let id = after.or(before).map(|u| u.id.0);
    record(tx, actor, at, action, "user", id, before, after).await
}
