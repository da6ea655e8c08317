//! The built-in templates, written from the release process Liftoff is
//! made for: the readiness checklist, the delivery day and the deployment
//! maturity review. They are copied into the database once (by migration);
//! users may edit the copies and reset them to these.

pub struct BuiltinItem {
    pub section: &'static str,
    pub title: &'static str,
    pub detail: &'static str,
    pub required: bool,
}

pub struct BuiltinTemplate {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub items: &'static [BuiltinItem],
}

const fn req(section: &'static str, title: &'static str, detail: &'static str) -> BuiltinItem {
    BuiltinItem { section, title, detail, required: true }
}

const fn opt(section: &'static str, title: &'static str, detail: &'static str) -> BuiltinItem {
    BuiltinItem { section, title, detail, required: false }
}

pub const READINESS: BuiltinTemplate = BuiltinTemplate {
    key: "release-readiness",
    name: "Release readiness",
    description: "Is everything in place for users? Tasks for developers and for reviewers from other departments.",
    items: &[
        req("Infrastructure", "UAT and production infrastructure accepted, access granted", "Both environments are handed over, accepted by operations, and the people who need access have it."),
        req("Infrastructure", "Distribution scheme for corporate apps agreed", "How the app reaches users' devices: store, MDM, installer share or web."),
        req("Infrastructure", "CI/CD pipeline or update technology in place", "Releases are built and shipped by the pipeline, not from a developer's machine."),
        req("Infrastructure", "Backup and recovery strategy in place", "What is backed up, how often, and a restore that has been tried."),
        req("Infrastructure", "Technical monitoring set up", "Health, errors, latency and capacity are watched and alert someone."),
        req("Initial content", "Historical data migration planned: sources, depth, tools", "Which systems the data comes from, how many years back, and with which tools."),
        req("Initial content", "Tools to check migrated data for completeness and consistency", "Counts, sums and spot checks that show the migration lost nothing."),
        req("Initial content", "Reference books filled", "Catalogues, code lists and other reference data are loaded."),
        req("Initial content", "Users and org structure moved", "Accounts, roles and the organisation structure exist in the new system."),
        req("Integration", "Integration services verified in UAT and production, versioning agreed", "Every integration is tested against the real counterpart, and the API versions are agreed with its owners."),
        req("Integration", "Dashboard shows at once which side a problem is on", "When an integration fails, one screen tells whether it is ours or theirs."),
        req("Pilot user group training", "Demo stands ready", "Environments where pilot users can try the release."),
        req("Pilot user group training", "Implementation team brought into testing", "The customer's implementation team has tested with us."),
        req("Pilot user group training", "Final test and demo session with pilot users held", "Pilot users have seen the release and signed off its main flows."),
        req("Pilot user group training", "How-to materials prepared", "Short guides or videos for the main tasks."),
        req("Transfer", "Source and build-server transfer plan", "How the sources and the build server move to whoever runs the system."),
        req("Transfer", "UI sources and UI kit handed over", "Design files and the UI kit are with the receiving team."),
        req("Transfer", "Architecture documents handed over", "Current architecture, deployment and data-flow documents."),
        req("Transfer", "Admin briefing and training deployment held", "Administrators know how to run and deploy the system."),
        req("Transfer", "Formal and legal transfer done", "Acceptance documents and licences are signed."),
        req("Transfer", "First and second line support procedure and request tracking", "Who answers users, how requests are tracked, and when they escalate."),
        req("User documentation", "User manual in the agreed format", "The manual exists in the format agreed with the customer."),
        req("Business monitoring", "KPIs agreed", "The business measures that say whether the release works for users."),
        req("Business monitoring", "Data and infrastructure for the KPIs, such as dashboards", "The KPIs can be seen from day one."),
        req("Choosing the moment", "Release moment chosen", "A time that accounts for peak load, the users' time, and the engineers' time on both sides."),
    ],
};

pub const DELIVERY_DAY: BuiltinTemplate = BuiltinTemplate {
    key: "delivery-day",
    name: "Delivery day",
    description: "Prepare, execute, verify and communicate on the day the release ships.",
    items: &[
        req("Prepare", "All tests passed", "The release candidate's test run is green; link it as evidence."),
        req("Prepare", "Data migrations done", "Migrations have run, or are scripted and rehearsed for the window."),
        req("Prepare", "Backups taken", "A fresh backup of production data, with its location noted."),
        req("Prepare", "Production configured", "Configuration, secrets and feature flags for the new version are in place."),
        req("Execute", "Deployed with tools or scripts, with minimal downtime", "The deploy runs from the pipeline or a script, not by hand."),
        req("Verify", "Smoke tests passed", "Smoke tests ran against production right after the deploy."),
        req("Verify", "Key functions checked", "Someone walked through the key user functions in production."),
        req("Communicate", "Announcement sent", "By email newsletter, in-app notification or social media, as agreed."),
        req("Communicate", "Release notes and documentation published", "Users can read what changed and how to use it."),
        req("Communicate", "Support options ready", "FAQ and help desk know about the release."),
        opt("Communicate", "Feedback collection open", "A survey, form or channel for users' feedback."),
    ],
};

pub const MATURITY: BuiltinTemplate = BuiltinTemplate {
    key: "deployment-maturity",
    name: "Deployment maturity review",
    description: "Where the team stands: tick each indication that is true today. The highest level whose indications all hold is the team's level.",
    items: &[
        opt("Level 0", "Releases are copied by hand between environments", "An indication of level 0."),
        opt("Level 0", "Users find failures before the team does", "An indication of level 0."),
        opt("Level 0", "Deploys run from a developer's machine", "An indication of level 0."),
        opt("Level 0", "Downtime is scheduled for each release", "An indication of level 0."),
        opt("Level 1", "Releases are automated", "An indication of level 1."),
        opt("Level 1", "An environment pipeline: dev -> pre-production -> production", "An indication of level 1."),
        opt("Level 1", "The team schedules its own releases", "An indication of level 1."),
        opt("Level 1", "Smoke tests run after each deploy", "An indication of level 1."),
        opt("Level 1", "Releases happen outside usage hours", "An indication of level 1."),
        opt("Level 2", "Several automated releases a day", "An indication of level 2."),
        opt("Level 2", "Automated acceptance tests", "An indication of level 2."),
        opt("Level 2", "No user impact during releases, such as blue-green deploys", "An indication of level 2."),
        opt("Level 2", "Features are deployed and removed atomically", "An indication of level 2."),
        opt("Level 2", "Environments are consistent through configuration management", "An indication of level 2."),
    ],
};

pub const ALL: [&BuiltinTemplate; 3] = [&READINESS, &DELIVERY_DAY, &MATURITY];
