//! The core's structure, drawn from its code: modules depend on each other in
//! one direction only, at every level (the top-level modules, and the files
//! of each folder among themselves), and each table is written only by the
//! module that owns it.
//!
//! A folder's `mod.rs` is its parent: it may use its children (it orchestrates
//! the rules that span them) and they may use it (its shared types and
//! errors); a circle is between siblings, or between top-level modules.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Names `lib.rs` re-exports from a module, as `crate::Name`.
const REEXPORTS: &[(&str, &str)] = &[("Store", "store"), ("StoreError", "store"), ("Opened", "store"), ("Recovery", "store")];

/// A module's path from the crate root: `["announce", "items"]`.
type ModPath = Vec<String>;

/// Each `.rs` file of `src/` (not `lib.rs`): its module path and its code
/// without comments and without the tests beside it (tests may reach
/// anywhere).
fn files() -> Vec<(ModPath, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap();
                let mut module: ModPath = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                let last = module.pop().unwrap();
                if last != "mod.rs" && last != "lib.rs" {
                    module.push(last.trim_end_matches(".rs").to_owned());
                }
                if module.is_empty() {
                    continue;
                }
                let text = fs::read_to_string(&path).unwrap();
                // The tests module beside the code (its `#[cfg(test)] mod`)
                // and what follows it; a test-only item elsewhere stays.
                let code = text.split("#[cfg(test)]\nmod ").next().unwrap_or(&text);
                // Comments (doc links among them) are not dependencies.
                let code: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
                out.push((module, code));
            }
        }
    }
    out.sort();
    out
}

/// Splits `a, b::{c, d}, e` at its top-level commas.
fn split_group(group: &str) -> Vec<String> {
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for ch in group.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur);
    parts.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()
}

/// The paths a file names after `crate::`, `super::` (any number) and
/// `self::`, made absolute; `{…}` groups expanded one level.
fn referenced_paths(text: &str, at: &ModPath, is_mod_rs: bool) -> Vec<ModPath> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
        let (base, skip): (ModPath, usize) = if starts_word && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if starts_word && rest.starts_with("super::") {
            // `super` of `a/b.rs` and of `a/b/mod.rs` is `a`.
            let mut base = at.clone();
            base.pop();
            let mut skip = "super::".len();
            while text[i + skip..].starts_with("super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else if starts_word && rest.starts_with("self::") && is_mod_rs {
            (at.clone(), "self::".len())
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let tail = &text[i + skip..];
        let end = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{' || c == '}' || c == ',' || c == ' ' || c == '\n')).unwrap_or(tail.len());
        let expr = &tail[..end];
        for p in expand(expr) {
            let mut path = base.clone();
            path.extend(p.split("::").map(str::trim).filter(|s| !s.is_empty() && *s != "self").map(str::to_owned));
            found.push(path);
        }
        i += skip;
    }
    found
}

/// `a::{b, c::d}` → `a::b`, `a::c::d`; stops at the first closing brace of
/// its level.
fn expand(expr: &str) -> Vec<String> {
    let mut head = String::new();
    for (k, ch) in expr.char_indices() {
        match ch {
            '{' => {
                let inner = &expr[k + 1..];
                let mut depth = 1;
                let mut close = inner.len();
                for (j, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = j;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                return split_group(&inner[..close]).into_iter().flat_map(|p| expand(&p)).map(|p| format!("{head}{p}")).collect();
            }
            c if c.is_alphanumeric() || c == '_' || c == ':' => head.push(c),
            _ => break,
        }
    }
    vec![head]
}

/// Names a folder's `mod.rs` re-exports from one of its children
/// (`pub use render::Channel;` in `announce`): (folder, name) → the child
/// module the name comes from, so that `super::Channel` counts as a use of
/// `announce::render`, not of the parent.
type Reexports = BTreeMap<(ModPath, String), ModPath>;

fn reexports(files: &[(ModPath, String)], modules: &BTreeSet<ModPath>) -> Reexports {
    let mut out = Reexports::new();
    for (module, code) in files {
        for line in code.split(';') {
            let line = line.trim();
            let Some(expr) = line.strip_prefix("pub use ").or_else(|| line.strip_prefix("pub(crate) use ")) else { continue };
            for path in expand(expr) {
                let parts: Vec<&str> = path.split("::").map(str::trim).filter(|p| !p.is_empty()).collect();
                let (Some(name), Some(first)) = (parts.last(), parts.first()) else { continue };
                if parts.len() < 2 || ["crate", "super", "self"].contains(first) {
                    continue;
                }
                let mut child = module.clone();
                child.push(first.to_string());
                if modules.contains(&child) {
                    let mut from = module.clone();
                    from.extend(parts[..parts.len() - 1].iter().map(|p| p.to_string()));
                    out.insert((module.clone(), name.to_string()), from);
                }
            }
        }
    }
    out
}

/// The known module a path names: its longest prefix that is a module
/// (re-exported names map to the module they come from).
fn module_named(path: &ModPath, modules: &BTreeSet<ModPath>, reexported: &Reexports) -> Option<ModPath> {
    if path.len() == 1 {
        if let Some((_, m)) = REEXPORTS.iter().find(|(n, _)| *n == path[0]) {
            return Some(vec![m.to_string()]);
        }
    }
    let module = (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p))?;
    if let Some(name) = path.get(module.len()) {
        if let Some(from) = reexported.get(&(module.clone(), name.clone())) {
            let mut through = from.clone();
            through.push(name.clone());
            return module_named(&through, modules, reexported).or(Some(module));
        }
    }
    Some(module)
}

/// The dependency graph of each folder's children (the crate root's key is
/// empty): `graphs[folder][child]` = siblings it uses.
fn graphs() -> BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> {
    let files = files();
    let modules: BTreeSet<ModPath> = files.iter().map(|(m, _)| m.clone()).collect();
    let reexported = reexports(&files, &modules);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, code) in &files {
        let is_mod_rs = src.join(from.join("/")).join("mod.rs").exists();
        // Every module is a node of its folder's graph, used or not.
        graphs.entry(from[..from.len() - 1].to_vec()).or_default().entry(from.last().unwrap().clone()).or_default();
        for path in referenced_paths(code, from, is_mod_rs) {
            let Some(to) = module_named(&path, &modules, &reexported) else { continue };
            // A module and its ancestors: parent and child, not siblings.
            if to.starts_with(from) || from.starts_with(&to) {
                continue;
            }
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            graphs.entry(from[..common].to_vec()).or_default().entry(from[common].clone()).or_default().insert(to[common].clone());
        }
    }
    graphs
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(n: &str, g: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut cycle = path[at..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for next in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_and_no_file_of_a_folder_is_in_an_import_loop() {
    let g = graphs();
    let top = &g[&Vec::new()];
    assert!(top.contains_key("release") && top.contains_key("audit") && top.contains_key("rules"), "modules found: {:?}", top.keys());
    assert!(g.contains_key(&vec!["announce".to_owned()]) && g.contains_key(&vec!["release".to_owned(), "checklists".to_owned()]), "folders found: {:?}", g.keys());
    let files = files();
    let modules: BTreeSet<ModPath> = files.iter().map(|(m, _)| m.clone()).collect();
    let re = reexports(&files, &modules);
    assert_eq!(re.get(&(vec!["announce".to_owned()], "Channel".to_owned())), Some(&vec!["announce".to_owned(), "render".to_owned()]), "re-exports found: {re:?}");
    let loops: Vec<String> = g
        .iter()
        .filter_map(|(folder, graph)| find_cycle(graph).map(|c| format!("in {}: {}", if folder.is_empty() { "the crate".to_owned() } else { folder.join("/") }, c.join(" -> "))))
        .collect();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_shared_rules_and_the_audit_log_stand_alone() {
    let g = graphs();
    let top = &g[&Vec::new()];
    assert!(top["rules"].is_empty(), "rules must depend on nothing: {:?}", top["rules"]);
    assert!(!top["audit"].contains("release"), "the audit log must not depend on releases: {:?}", top["audit"]);
}

/// Who owns each table: the one module whose SQL writes it.
const OWNERS: &[(&str, &str)] = &[
    ("projects", "projects"),
    ("environments", "environments"),
    ("credentials", "credentials"),
    ("people", "people"),
    ("project_people", "people"),
    ("releases", "release"),
    ("gate_overrides", "release::gate"),
    ("checklist_items", "release::checklists"),
    ("templates", "release::checklists::templates"),
    ("template_items", "release::checklists::templates"),
    ("audit_log", "audit"),
    ("calendar_windows", "planning::windows"),
    ("calendar_window_environments", "planning::windows"),
    ("load_samples", "planning::profile"),
    ("load_patterns", "planning::profile"),
    ("load_hourly", "planning::profile"),
    ("busy_times", "planning::busy"),
    ("deploy_targets", "deploy::target"),
    ("deploy_runs", "deploy::runs"),
    ("deploy_locks", "deploy::runs"),
    ("deploy_log", "deploy::runs::log"),
    ("deploy_schedules", "deploy::schedules"),
    ("engine_freeze_periods", "deploy::freeze_sync"),
    ("engine_freeze_syncs", "deploy::freeze_sync"),
    ("announce_settings", "announce::settings"),
    ("announce_templates", "announce::drafts"),
    ("change_sources", "announce::items"),
    ("change_items", "announce::items"),
    ("announcements", "announce::drafts"),
    ("announce_overrides", "announce::gate"),
    ("announce_sends", "announce::sends"),
    ("announce_deliveries", "announce::sends"),
    ("health_samples", "monitor::health"),
    ("run_commits", "deploy::commits"),
    ("run_commit_reads", "deploy::commits"),
    ("monitor_settings", "monitor::metrics"),
];

/// Modules that may write any table: the schema's migrations, and a restore.
const SCHEMA: &[&str] = &["store::migrations", "store::backup", "store"];

/// The tables a text's SQL writes (INSERT, UPDATE, DELETE, REPLACE).
fn written_tables(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    for (k, w) in words.iter().enumerate() {
        let table = match *w {
            "INTO" if k > 0 && matches!(words[k - 1], "INSERT" | "REPLACE" | "IGNORE" | "ABORT" | "FAIL" | "ROLLBACK") => words.get(k + 1),
            // `UPDATE t`, `UPDATE OR REPLACE t`; not `DO UPDATE SET`.
            "UPDATE" if k == 0 || words[k - 1] != "DO" => match words.get(k + 1) {
                Some(&"OR") => words.get(k + 3),
                other => other.filter(|t| **t != "SET"),
            },
            "FROM" if k > 0 && words[k - 1] == "DELETE" => words.get(k + 1),
            _ => None,
        };
        if let Some(t) = table.filter(|t| t.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
            out.insert(t.to_string());
        }
    }
    out
}

#[test]
fn each_table_is_written_only_by_its_owner() {
    let owners: BTreeMap<&str, &str> = OWNERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, code) in files() {
        let name = module.join("::");
        if SCHEMA.contains(&name.as_str()) {
            continue;
        }
        for table in written_tables(&code) {
            match owners.get(table.as_str()) {
                Some(owner) if *owner == name => {}
                Some(owner) => wrong.push(format!("{name} writes {table}, owned by {owner}")),
                None => wrong.push(format!("{name} writes {table}, which has no owner in OWNERS")),
            }
        }
    }
    assert!(wrong.is_empty(), "tables written outside their owner:\n{}", wrong.join("\n"));
}

#[test]
fn the_checks_find_what_they_look_for() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    let at: ModPath = vec!["announce".into(), "items".into()];
    let paths = referenced_paths("use crate::{clock, Store};\nuse super::{drafts, changes::{self, Suggested}};\nlet x = crate::release::gate::f();", &at, false);
    let names: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(names, ["clock", "Store", "announce::drafts", "announce::changes", "announce::changes::Suggested", "release::gate::f"]);
    let modules: BTreeSet<ModPath> = [vec!["announce".to_owned()], vec!["announce".to_owned(), "render".to_owned()]].into_iter().collect();
    let files = vec![(vec!["announce".to_owned()], "pub mod render;\npub use render::{Channel, Rendered};\n".to_owned())];
    let re = reexports(&files, &modules);
    let channel: ModPath = vec!["announce".into(), "Channel".into()];
    assert_eq!(module_named(&channel, &modules, &re), Some(vec!["announce".to_owned(), "render".to_owned()]), "a re-exported name is its child's");
    assert_eq!(
        written_tables("tx.execute(\"INSERT INTO releases (id) VALUES (?1) ON CONFLICT (id) DO UPDATE SET x = 1\"); UPDATE people SET a; DELETE FROM deploy_runs; UPDATE OR IGNORE credentials SET b"),
        BTreeSet::from(["releases".into(), "people".into(), "deploy_runs".into(), "credentials".into()])
    );
}
