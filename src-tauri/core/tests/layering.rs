//! The core's modules depend on each other in one direction only: no import
//! loops. A module is a top-level file of `src/` or a top-level folder (the
//! `release` folder is one module: releases, checklists, templates and the
//! gate refer to each other and live together for that reason).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Names `lib.rs` re-exports from a module, as `crate::Name`.
const REEXPORTS: &[(&str, &str)] = &[("Store", "store"), ("StoreError", "store"), ("Opened", "store"), ("Recovery", "store")];

fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

fn referenced(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end].split(',').map(|p| p.trim().split("::").next().unwrap_or("").to_owned()).collect()
        } else {
            vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_owned()]
        };
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let module = REEXPORTS.iter().find(|(n, _)| *n == name).map(|(_, m)| m.to_string()).unwrap_or(name);
            found.insert(module);
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap();
                let module = module_of(rel);
                if module == "lib" {
                    continue;
                }
                let text = fs::read_to_string(&path).unwrap();
                // Tests beside the code may reach anywhere.
                let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
                let deps = graph.entry(module.clone()).or_default();
                deps.extend(referenced(code).into_iter().filter(|m| *m != module));
            }
        }
    }
    graph
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
fn the_core_has_no_import_loops() {
    let g = graph();
    assert!(g.contains_key("release") && g.contains_key("audit") && g.contains_key("rules"), "modules found: {:?}", g.keys());
    if let Some(cycle) = find_cycle(&g) {
        panic!("import loop in the core: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_shared_rules_and_the_audit_log_stand_alone() {
    let g = graph();
    assert!(g["rules"].is_empty(), "rules must depend on nothing: {:?}", g["rules"]);
    assert!(!g["audit"].contains("release"), "the audit log must not depend on releases: {:?}", g["audit"]);
}

#[test]
fn the_loop_finder_finds_a_loop() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(referenced("use crate::{clock, Store};\nlet x = crate::release::gate::f();"), BTreeSet::from(["clock".into(), "store".into(), "release".into()]));
}
