//! Portal tests: filled in once the portal lands.
