//! Smoke checks: HTTP and command checks run right after a deploy.
