//! One shape for the inventory's create / get / change / remove use cases.
//!
//! Every record kind states only what differs — how it is loaded and saved,
//! who may see it, what its new value refers to — and [`App`] runs the same
//! sequence for all of them: authorise (visibility first, so scope never
//! leaks existence; then the role), validate, write, audit, commit, all in
//! one transaction.

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write};
use crate::{App, AppError, AppResult};
use redegov_domain::error::Valid;
use redegov_domain::role::Actor;
use redegov_store::{StoreError, Tx};
use serde::Serialize;

/// A kind of inventory record, as the generic use cases see it.
pub(crate) trait Record: Serialize + Sized {
    type Id: Copy;
    /// The validated input that creates or replaces a record.
    type New;
    /// The audit log's entity name, also used in "not found".
    const ENTITY: &'static str;
    /// What `authz::may_write` decides on.
    const RESOURCE: Resource;
    /// Columns whose unique violation is reported as a duplicate of that field.
    const UNIQUE: &'static [&'static str] = &[];

    fn raw_id(id: Self::Id) -> i64;
    fn key(&self) -> i64;
    /// The record `id` becomes when replaced by `new`.
    fn replaced(id: Self::Id, new: Self::New) -> Self;

    async fn load(tx: &mut Tx, id: Self::Id) -> Result<Self, StoreError>;
    async fn insert(tx: &mut Tx, new: &Self::New) -> Result<Self, StoreError>;
    async fn save(&self, tx: &mut Tx) -> Result<(), StoreError>;
    async fn remove(tx: &mut Tx, id: Self::Id) -> Result<(), StoreError>;

    /// "Not found" unless the actor's scope includes this record.
    async fn check_visible(&self, tx: &mut Tx, actor: &Actor) -> AppResult<()>;

    /// Checks what a new value refers to exists and is the actor's to use.
    async fn check_new(_tx: &mut Tx, _actor: &Actor, _new: &Self::New) -> AppResult<()> {
        Ok(())
    }
}

impl App {
    pub(crate) async fn create_record<R: Record>(&self, actor: &Actor, new: R::New) -> AppResult<R> {
        require_write(actor, R::RESOURCE)?;
        let mut tx = self.store().write().await?;
        R::check_new(&mut tx, actor, &new).await?;
        let saved = R::insert(&mut tx, &new).await.map_err(AppError::unique(R::UNIQUE))?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Create,
            R::ENTITY,
            Some(saved.key()),
            None::<&()>,
            Some(&saved),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub(crate) async fn get_record<R: Record>(&self, actor: &Actor, id: R::Id) -> AppResult<R> {
        let mut tx = self.store().read().await?;
        let found = R::load(&mut tx, id).await.map_err(AppError::not_found(R::ENTITY))?;
        found.check_visible(&mut tx, actor).await?;
        Ok(found)
    }

    /// Loads, authorises and returns the record with its open transaction.
    async fn writable<R: Record>(&self, actor: &Actor, id: R::Id) -> AppResult<(Tx, R)> {
        let mut tx = self.store().write().await?;
        let before = R::load(&mut tx, id).await.map_err(AppError::not_found(R::ENTITY))?;
        before.check_visible(&mut tx, actor).await?;
        require_write(actor, R::RESOURCE)?;
        Ok((tx, before))
    }

    pub(crate) async fn update_record<R: Record>(
        &self,
        actor: &Actor,
        id: R::Id,
        merge: impl FnOnce(&R) -> Valid<R::New>,
    ) -> AppResult<R> {
        let (mut tx, before) = self.writable::<R>(actor, id).await?;
        let new = merge(&before)?;
        R::check_new(&mut tx, actor, &new).await?;
        let after = R::replaced(id, new);
        after.save(&mut tx).await.map_err(AppError::unique(R::UNIQUE))?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Update,
            R::ENTITY,
            Some(R::raw_id(id)),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(crate) async fn delete_record<R: Record>(&self, actor: &Actor, id: R::Id) -> AppResult<()> {
        let (mut tx, before) = self.writable::<R>(actor, id).await?;
        R::remove(&mut tx, id).await?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Delete,
            R::ENTITY,
            Some(R::raw_id(id)),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
