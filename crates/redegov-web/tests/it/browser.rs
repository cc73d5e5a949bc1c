//! Browser test: filled in once the portal lands.
