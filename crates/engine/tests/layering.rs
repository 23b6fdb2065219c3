//! The engine's modules form a DAG: no module reaches, through `crate::…`
//! paths in production code, a module that reaches back to it. Read from the
//! source tree, so a cycle fails this test the moment it is written (test code,
//! `tests*.rs` files and everything after `#[cfg(test)]`, may cross layers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its production code names.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let stem = rel.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if stem.starts_with("tests") || rel.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let first = rel.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or("");
            let module = first.trim_end_matches(".rs").to_string();
            if module == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read file");
            let production = text.split("#[cfg(test)]").next().unwrap_or("");
            let deps = g.entry(module.clone()).or_default();
            for (i, _) in production.match_indices("crate::") {
                let name: String =
                    production[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && name != module {
                    deps.insert(name);
                }
            }
        }
    }
    g
}

/// A cycle through `from`, if any (depth-first).
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|n| n == node) {
            let mut c = path[pos..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in g.get(node).into_iter().flatten() {
            if let Some(c) = visit(g, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|k| visit(g, k, &mut Vec::new(), &mut done))
}

#[test]
fn engine_modules_form_no_cycle() {
    let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(g.len() >= 10, "the walk found the modules: {g:?}");
    if let Some(c) = cycle(&g) {
        panic!("engine module cycle: {} (graph: {g:#?})", c.join(" → "));
    }
}

#[test]
fn the_check_finds_a_cycle_when_there_is_one() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("plan".into()).or_default().insert("sql".into());
    g.entry("sql".into()).or_default().insert("catalog".into());
    assert_eq!(cycle(&g), None);
    g.entry("catalog".into()).or_default().insert("plan".into());
    assert_eq!(cycle(&g).map(|c| c.join(" → ")), Some("catalog → plan → sql → catalog".to_string()));
}
