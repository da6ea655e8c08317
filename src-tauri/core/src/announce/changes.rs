//! Change items of a release, read from its git repository.
