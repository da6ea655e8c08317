//! Progress of a checklist, overall and per section.

use serde::{Deserialize, Serialize};

use super::{ChecklistItem, ItemStatus};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub total: i32,
    /// Done or not applicable, and signed off where a reviewer is set.
    pub complete: i32,
    pub awaiting_review: i32,
    pub blocked: i32,
    pub open: i32,
    pub overdue: i32,
    pub required: i32,
    pub required_complete: i32,
}

impl Tally {
    fn add(&mut self, item: &ChecklistItem) {
        self.total += 1;
        self.complete += i32::from(item.complete);
        self.awaiting_review += i32::from(item.status == ItemStatus::AwaitingReview);
        self.blocked += i32::from(item.status == ItemStatus::Blocked);
        self.open += i32::from(item.status == ItemStatus::Open);
        self.overdue += i32::from(item.overdue);
        self.required += i32::from(item.required);
        self.required_complete += i32::from(item.required && item.complete);
    }

    /// Whole percent complete, rounded down so that 100 means all of it.
    pub fn percent(&self) -> i32 {
        if self.total == 0 {
            0
        } else {
            self.complete * 100 / self.total
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SectionProgress {
    pub section: String,
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub overall: Tally,
    /// In the order the sections first appear in the checklist.
    pub sections: Vec<SectionProgress>,
}

pub fn of(items: &[ChecklistItem]) -> Progress {
    let mut overall = Tally::default();
    let mut sections: Vec<SectionProgress> = Vec::new();
    for item in items {
        overall.add(item);
        match sections.iter_mut().find(|s| s.section == item.section) {
            Some(s) => s.tally.add(item),
            None => {
                let mut tally = Tally::default();
                tally.add(item);
                sections.push(SectionProgress { section: item.section.clone(), tally });
            }
        }
    }
    Progress { overall, sections }
}
