-- The built-in checklist templates, as migration 4 of the first release wrote
-- them from Rust (checklists::templates::seed_builtins at commit bdd2a8d),
-- frozen: the rows, ids and order are those that code wrote, dumped from
-- tests/fixtures/schema-v5.db. Both were stamped with the time the migration
-- ran, and so are these. Later changes to the templates Liftoff ships go in
-- a new migration; this file never changes.

-- One statement, so that all three get the same time (SQLite's 'now' holds
-- still within a statement), as the seed gave them one.
INSERT INTO templates (id, name, description, builtin_key, created_at, updated_at) VALUES
    ('01a21f86-27d5-7611-9f61-8eea767a9255', 'Release readiness', 'Is everything in place for users? Tasks for developers and for reviewers from other departments.', 'release-readiness', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    ('01a21f86-27d6-73ee-84d4-8074653582f3', 'Delivery day', 'Prepare, execute, verify and communicate on the day the release ships.', 'delivery-day', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    ('01a21f86-27d6-73ee-84d4-808018fda56f', 'Deployment maturity review', 'Where the team stands: tick each indication that is true today. The highest level whose indications all hold is the team''s level.', 'deployment-maturity', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

-- Release readiness: 25 items.
INSERT INTO template_items (id, template_id, position, section, title, detail, required) VALUES
    ('01a21f86-27d5-7611-9f61-8eeb32ba1652', '01a21f86-27d5-7611-9f61-8eea767a9255', 0, 'Infrastructure', 'UAT and production infrastructure accepted, access granted', 'Both environments are handed over, accepted by operations, and the people who need access have it.', 1),
    ('01a21f86-27d5-7611-9f61-8eec7ea05043', '01a21f86-27d5-7611-9f61-8eea767a9255', 1, 'Infrastructure', 'Distribution scheme for corporate apps agreed', 'How the app reaches users'' devices: store, MDM, installer share or web.', 1),
    ('01a21f86-27d5-7611-9f61-8eedcc1839ff', '01a21f86-27d5-7611-9f61-8eea767a9255', 2, 'Infrastructure', 'CI/CD pipeline or update technology in place', 'Releases are built and shipped by the pipeline, not from a developer''s machine.', 1),
    ('01a21f86-27d5-7611-9f61-8eeec7ea065d', '01a21f86-27d5-7611-9f61-8eea767a9255', 3, 'Infrastructure', 'Backup and recovery strategy in place', 'What is backed up, how often, and a restore that has been tried.', 1),
    ('01a21f86-27d5-7611-9f61-8eef06d2de87', '01a21f86-27d5-7611-9f61-8eea767a9255', 4, 'Infrastructure', 'Technical monitoring set up', 'Health, errors, latency and capacity are watched and alert someone.', 1),
    ('01a21f86-27d6-73ee-84d4-8060bed84e19', '01a21f86-27d5-7611-9f61-8eea767a9255', 5, 'Initial content', 'Historical data migration planned: sources, depth, tools', 'Which systems the data comes from, how many years back, and with which tools.', 1),
    ('01a21f86-27d6-73ee-84d4-80612ba0f68b', '01a21f86-27d5-7611-9f61-8eea767a9255', 6, 'Initial content', 'Tools to check migrated data for completeness and consistency', 'Counts, sums and spot checks that show the migration lost nothing.', 1),
    ('01a21f86-27d6-73ee-84d4-8062afe57722', '01a21f86-27d5-7611-9f61-8eea767a9255', 7, 'Initial content', 'Reference books filled', 'Catalogues, code lists and other reference data are loaded.', 1),
    ('01a21f86-27d6-73ee-84d4-8063704d2012', '01a21f86-27d5-7611-9f61-8eea767a9255', 8, 'Initial content', 'Users and org structure moved', 'Accounts, roles and the organisation structure exist in the new system.', 1),
    ('01a21f86-27d6-73ee-84d4-80647ea1cacd', '01a21f86-27d5-7611-9f61-8eea767a9255', 9, 'Integration', 'Integration services verified in UAT and production, versioning agreed', 'Every integration is tested against the real counterpart, and the API versions are agreed with its owners.', 1),
    ('01a21f86-27d6-73ee-84d4-8065d339d952', '01a21f86-27d5-7611-9f61-8eea767a9255', 10, 'Integration', 'Dashboard shows at once which side a problem is on', 'When an integration fails, one screen tells whether it is ours or theirs.', 1),
    ('01a21f86-27d6-73ee-84d4-80665a58c33a', '01a21f86-27d5-7611-9f61-8eea767a9255', 11, 'Pilot user group training', 'Demo stands ready', 'Environments where pilot users can try the release.', 1),
    ('01a21f86-27d6-73ee-84d4-806773321653', '01a21f86-27d5-7611-9f61-8eea767a9255', 12, 'Pilot user group training', 'Implementation team brought into testing', 'The customer''s implementation team has tested with us.', 1),
    ('01a21f86-27d6-73ee-84d4-80682f278639', '01a21f86-27d5-7611-9f61-8eea767a9255', 13, 'Pilot user group training', 'Final test and demo session with pilot users held', 'Pilot users have seen the release and signed off its main flows.', 1),
    ('01a21f86-27d6-73ee-84d4-8069adbb2370', '01a21f86-27d5-7611-9f61-8eea767a9255', 14, 'Pilot user group training', 'How-to materials prepared', 'Short guides or videos for the main tasks.', 1),
    ('01a21f86-27d6-73ee-84d4-806a0919765d', '01a21f86-27d5-7611-9f61-8eea767a9255', 15, 'Transfer', 'Source and build-server transfer plan', 'How the sources and the build server move to whoever runs the system.', 1),
    ('01a21f86-27d6-73ee-84d4-806bc554b70c', '01a21f86-27d5-7611-9f61-8eea767a9255', 16, 'Transfer', 'UI sources and UI kit handed over', 'Design files and the UI kit are with the receiving team.', 1),
    ('01a21f86-27d6-73ee-84d4-806c2574f307', '01a21f86-27d5-7611-9f61-8eea767a9255', 17, 'Transfer', 'Architecture documents handed over', 'Current architecture, deployment and data-flow documents.', 1),
    ('01a21f86-27d6-73ee-84d4-806d41ae0d7b', '01a21f86-27d5-7611-9f61-8eea767a9255', 18, 'Transfer', 'Admin briefing and training deployment held', 'Administrators know how to run and deploy the system.', 1),
    ('01a21f86-27d6-73ee-84d4-806ef28e96d7', '01a21f86-27d5-7611-9f61-8eea767a9255', 19, 'Transfer', 'Formal and legal transfer done', 'Acceptance documents and licences are signed.', 1),
    ('01a21f86-27d6-73ee-84d4-806feff6f4b7', '01a21f86-27d5-7611-9f61-8eea767a9255', 20, 'Transfer', 'First and second line support procedure and request tracking', 'Who answers users, how requests are tracked, and when they escalate.', 1),
    ('01a21f86-27d6-73ee-84d4-80707742480e', '01a21f86-27d5-7611-9f61-8eea767a9255', 21, 'User documentation', 'User manual in the agreed format', 'The manual exists in the format agreed with the customer.', 1),
    ('01a21f86-27d6-73ee-84d4-8071a61a76f1', '01a21f86-27d5-7611-9f61-8eea767a9255', 22, 'Business monitoring', 'KPIs agreed', 'The business measures that say whether the release works for users.', 1),
    ('01a21f86-27d6-73ee-84d4-807291e274f0', '01a21f86-27d5-7611-9f61-8eea767a9255', 23, 'Business monitoring', 'Data and infrastructure for the KPIs, such as dashboards', 'The KPIs can be seen from day one.', 1),
    ('01a21f86-27d6-73ee-84d4-8073b0b11cab', '01a21f86-27d5-7611-9f61-8eea767a9255', 24, 'Choosing the moment', 'Release moment chosen', 'A time that accounts for peak load, the users'' time, and the engineers'' time on both sides.', 1);

-- Delivery day: 11 items.
INSERT INTO template_items (id, template_id, position, section, title, detail, required) VALUES
    ('01a21f86-27d6-73ee-84d4-807594b31785', '01a21f86-27d6-73ee-84d4-8074653582f3', 0, 'Prepare', 'All tests passed', 'The release candidate''s test run is green; link it as evidence.', 1),
    ('01a21f86-27d6-73ee-84d4-80767cb71e63', '01a21f86-27d6-73ee-84d4-8074653582f3', 1, 'Prepare', 'Data migrations done', 'Migrations have run, or are scripted and rehearsed for the window.', 1),
    ('01a21f86-27d6-73ee-84d4-80774322caeb', '01a21f86-27d6-73ee-84d4-8074653582f3', 2, 'Prepare', 'Backups taken', 'A fresh backup of production data, with its location noted.', 1),
    ('01a21f86-27d6-73ee-84d4-8078afa672ea', '01a21f86-27d6-73ee-84d4-8074653582f3', 3, 'Prepare', 'Production configured', 'Configuration, secrets and feature flags for the new version are in place.', 1),
    ('01a21f86-27d6-73ee-84d4-807941a6eda4', '01a21f86-27d6-73ee-84d4-8074653582f3', 4, 'Execute', 'Deployed with tools or scripts, with minimal downtime', 'The deploy runs from the pipeline or a script, not by hand.', 1),
    ('01a21f86-27d6-73ee-84d4-807af182db12', '01a21f86-27d6-73ee-84d4-8074653582f3', 5, 'Verify', 'Smoke tests passed', 'Smoke tests ran against production right after the deploy.', 1),
    ('01a21f86-27d6-73ee-84d4-807b9d491d18', '01a21f86-27d6-73ee-84d4-8074653582f3', 6, 'Verify', 'Key functions checked', 'Someone walked through the key user functions in production.', 1),
    ('01a21f86-27d6-73ee-84d4-807cc6dbc27c', '01a21f86-27d6-73ee-84d4-8074653582f3', 7, 'Communicate', 'Announcement sent', 'By email newsletter, in-app notification or social media, as agreed.', 1),
    ('01a21f86-27d6-73ee-84d4-807d4aa52052', '01a21f86-27d6-73ee-84d4-8074653582f3', 8, 'Communicate', 'Release notes and documentation published', 'Users can read what changed and how to use it.', 1),
    ('01a21f86-27d6-73ee-84d4-807e812e93a3', '01a21f86-27d6-73ee-84d4-8074653582f3', 9, 'Communicate', 'Support options ready', 'FAQ and help desk know about the release.', 1),
    ('01a21f86-27d6-73ee-84d4-807faa8243d9', '01a21f86-27d6-73ee-84d4-8074653582f3', 10, 'Communicate', 'Feedback collection open', 'A survey, form or channel for users'' feedback.', 0);

-- Deployment maturity review: 14 items.
INSERT INTO template_items (id, template_id, position, section, title, detail, required) VALUES
    ('01a21f86-27d6-73ee-84d4-808154c02c9b', '01a21f86-27d6-73ee-84d4-808018fda56f', 0, 'Level 0', 'Releases are copied by hand between environments', 'An indication of level 0.', 0),
    ('01a21f86-27d6-73ee-84d4-80825b7aa3bf', '01a21f86-27d6-73ee-84d4-808018fda56f', 1, 'Level 0', 'Users find failures before the team does', 'An indication of level 0.', 0),
    ('01a21f86-27d6-73ee-84d4-808318dcb491', '01a21f86-27d6-73ee-84d4-808018fda56f', 2, 'Level 0', 'Deploys run from a developer''s machine', 'An indication of level 0.', 0),
    ('01a21f86-27d6-73ee-84d4-808410b95061', '01a21f86-27d6-73ee-84d4-808018fda56f', 3, 'Level 0', 'Downtime is scheduled for each release', 'An indication of level 0.', 0),
    ('01a21f86-27d6-73ee-84d4-8085bbe0996e', '01a21f86-27d6-73ee-84d4-808018fda56f', 4, 'Level 1', 'Releases are automated', 'An indication of level 1.', 0),
    ('01a21f86-27d6-73ee-84d4-80865ef232a4', '01a21f86-27d6-73ee-84d4-808018fda56f', 5, 'Level 1', 'An environment pipeline: dev -> pre-production -> production', 'An indication of level 1.', 0),
    ('01a21f86-27d6-73ee-84d4-8087d130cc8c', '01a21f86-27d6-73ee-84d4-808018fda56f', 6, 'Level 1', 'The team schedules its own releases', 'An indication of level 1.', 0),
    ('01a21f86-27d6-73ee-84d4-80885cf76cb2', '01a21f86-27d6-73ee-84d4-808018fda56f', 7, 'Level 1', 'Smoke tests run after each deploy', 'An indication of level 1.', 0),
    ('01a21f86-27d6-73ee-84d4-808978e36aac', '01a21f86-27d6-73ee-84d4-808018fda56f', 8, 'Level 1', 'Releases happen outside usage hours', 'An indication of level 1.', 0),
    ('01a21f86-27d6-73ee-84d4-808a3fba8687', '01a21f86-27d6-73ee-84d4-808018fda56f', 9, 'Level 2', 'Several automated releases a day', 'An indication of level 2.', 0),
    ('01a21f86-27d6-73ee-84d4-808bd34d73c9', '01a21f86-27d6-73ee-84d4-808018fda56f', 10, 'Level 2', 'Automated acceptance tests', 'An indication of level 2.', 0),
    ('01a21f86-27d6-73ee-84d4-808cd0a6c787', '01a21f86-27d6-73ee-84d4-808018fda56f', 11, 'Level 2', 'No user impact during releases, such as blue-green deploys', 'An indication of level 2.', 0),
    ('01a21f86-27d6-73ee-84d4-808d2b2d1de9', '01a21f86-27d6-73ee-84d4-808018fda56f', 12, 'Level 2', 'Features are deployed and removed atomically', 'An indication of level 2.', 0),
    ('01a21f86-27d6-73ee-84d4-808ea256baf9', '01a21f86-27d6-73ee-84d4-808018fda56f', 13, 'Level 2', 'Environments are consistent through configuration management', 'An indication of level 2.', 0);
