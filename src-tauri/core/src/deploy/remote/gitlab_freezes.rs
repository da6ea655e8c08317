//! GitLab's deploy freeze periods (`/projects/:id/freeze_periods`): listed
//! (Reporter may read them), created and deleted (Maintainer only). While
//! one is active GitLab sets `CI_DEPLOY_FREEZE` in every pipeline of the
//! project, and jobs that check it (`rules: if: $CI_DEPLOY_FREEZE`) do not
//! deploy. What Liftoff keeps there is [`crate::deploy::freeze_sync`]'s.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::super::github::patiently;
use super::super::RemoteError;
use super::Gitlab;
use crate::http::ErrorKind;

/// Changing freeze periods needs this role.
pub const RIGHT: &str = "the Maintainer role (only Maintainers may change deploy freezes)";

/// One freeze period as GitLab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezePeriod {
    pub id: u64,
    pub freeze_start: String,
    pub freeze_end: String,
    #[serde(default)]
    pub cron_timezone: String,
}

impl FreezePeriod {
    /// Whether it says what the pair says.
    pub fn is(&self, start: &str, end: &str, zone: &str) -> bool {
        self.freeze_start.trim() == start && self.freeze_end.trim() == end && self.cron_timezone.trim() == zone
    }
}

impl Gitlab {
    /// Every freeze period of the project (`X-Next-Page` pages).
    pub async fn freeze_periods(&self, cancel: &CancellationToken) -> Result<Vec<FreezePeriod>, RemoteError> {
        self.pages(&self.project_url("freeze_periods?per_page=100"), "read the deploy freeze periods", cancel).await
    }

    /// Creates a freeze period: `start` and `end` are crons in `zone`.
    pub async fn create_freeze_period(&self, start: &str, end: &str, zone: &str, cancel: &CancellationToken) -> Result<FreezePeriod, RemoteError> {
        let url = self.project_url("freeze_periods");
        let body = json!({ "freeze_start": start, "freeze_end": end, "cron_timezone": zone });
        let answer = patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "create a deploy freeze period", RIGHT))?;
        Ok(answer.json().await?)
    }

    /// Deletes a freeze period; `false` when it was already gone.
    pub async fn delete_freeze_period(&self, id: u64, cancel: &CancellationToken) -> Result<bool, RemoteError> {
        let url = self.project_url(&format!("freeze_periods/{id}"));
        match patiently(|| self.client.delete(&url), self.pace.max_wait, cancel).await? {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.named(e, "delete a deploy freeze period", RIGHT)),
        }
    }

    /// "acme/shop on gitlab.example.com", for messages.
    pub fn describe(&self) -> String {
        format!("{} on {}", self.project, self.host)
    }
}
