//! Composition of a Spin component with its `[component.<id>.dependencies]`, done the way Spin
//! does it when it loads an app (Spin's `spin-compose` crate, built on `wac-graph`): each
//! dependency is matched to the imports it names, its export is checked to be a subtype of the
//! import and plugged in, the front's exports become the composition's exports, and every
//! import left unsatisfied becomes an import of the composed component for the host to provide.
//!
//! Spin additionally wraps the capabilities a dependency does not inherit in deny-all adapters;
//! that only replaces imports with stubs, so it is left out here.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context as _, anyhow, bail};
use wac_graph::types::{Package, SubtypeChecker, WorldId};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

/// A component plugged into imports of the front.
pub struct Dependency {
    /// The dependency's name in the manifest: `ns:pkg`, `ns:pkg@ver`, `ns:pkg/iface` or
    /// `ns:pkg/iface@ver`.
    pub name: String,
    /// The dependency component.
    pub bytes: Vec<u8>,
    /// The export to plug in; the import's own name when absent.
    pub export: Option<String>,
}

/// Composes `front` (the component Spin runs for the trigger, `id` in the manifest) with its
/// dependencies into one component.
pub fn compose(id: &str, front: Vec<u8>, dependencies: Vec<Dependency>) -> anyhow::Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let (front_world, front_node) = register(&mut graph, id, front)?;
    let imports: Vec<String> = graph.types()[front_world].imports.keys().cloned().collect();
    let mut plugged: BTreeMap<String, String> = BTreeMap::new();
    let mut checked = HashSet::new();
    for dependency in dependencies {
        let wanted = ItemName::parse(&dependency.name)?;
        let matched: Vec<&String> =
            imports.iter().filter(|import| ItemName::parse(import).is_ok_and(|i| wanted.selects(&i))).collect();
        if matched.is_empty() {
            bail!("dependency {:?} matches no import of component {id:?} (imports: {imports:?})", dependency.name);
        }
        let (world, node) = register(&mut graph, &wanted.package, dependency.bytes)?;
        for import in matched {
            if let Some(previous) = plugged.insert(import.clone(), dependency.name.clone()) {
                bail!("import {import:?} is satisfied by both {previous:?} and {:?}", dependency.name);
            }
            let export = dependency.export.clone().unwrap_or_else(|| import.clone());
            let export_ty = *graph.types()[world]
                .exports
                .get(&export)
                .ok_or_else(|| anyhow!("dependency {:?} does not export {export:?}", dependency.name))?;
            let import_ty = graph.types()[front_world].imports[import.as_str()];
            SubtypeChecker::new(&mut checked)
                .is_subtype(export_ty, graph.types(), import_ty, graph.types())
                .with_context(|| format!("export {export:?} does not fit import {import:?}"))?;
            let alias = graph.alias_instance_export(node, &export)?;
            graph.set_instantiation_argument(front_node, import, alias)?;
        }
    }
    let exports: Vec<String> = graph.types()[front_world].exports.keys().cloned().collect();
    for export in exports {
        let alias = graph.alias_instance_export(front_node, &export)?;
        graph.export(alias, &export)?;
    }
    Ok(graph.encode(EncodeOptions::default())?)
}

fn register(graph: &mut CompositionGraph, name: &str, bytes: Vec<u8>) -> anyhow::Result<(WorldId, NodeId)> {
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())
        .with_context(|| format!("{name:?} is not a valid component"))?;
    let world = package.ty();
    let id = graph.register_package(package)?;
    Ok((world, graph.instantiate(id)))
}

/// `ns:pkg[/iface][@version]`: a dependency name, or an interface import name.
#[derive(Debug, PartialEq, Eq)]
struct ItemName {
    package: String,
    interface: Option<String>,
    version: Option<String>,
}

impl ItemName {
    fn parse(name: &str) -> anyhow::Result<ItemName> {
        let (path, version) = match name.split_once('@') {
            Some((path, version)) => (path, Some(version.to_owned())),
            None => (name, None),
        };
        let (package, interface) = match path.split_once('/') {
            Some((package, interface)) => (package, Some(interface.to_owned())),
            None => (path, None),
        };
        if !package.contains(':') {
            bail!("{name:?} is not a package-qualified name (plain names are not supported here)");
        }
        Ok(ItemName { package: package.to_owned(), interface, version })
    }

    /// Whether this dependency name selects `import`: same package, and the same interface and
    /// version where the dependency name gives them (Spin's rule).
    fn selects(&self, import: &ItemName) -> bool {
        self.package == import.package
            && self.interface.as_ref().is_none_or(|i| import.interface.as_ref() == Some(i))
            && self.version.as_ref().is_none_or(|v| import.version.as_ref() == Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selects(dependency: &str, import: &str) -> bool {
        let dependency = ItemName::parse(dependency).expect("dependency name");
        dependency.selects(&ItemName::parse(import).expect("import name"))
    }

    #[test]
    fn dependency_names_select_imports_as_spin_does() {
        assert!(selects("idplex:scim/handler@0.1.0", "idplex:scim/handler@0.1.0"));
        assert!(selects("idplex:scim/handler", "idplex:scim/handler@0.1.0"));
        assert!(selects("idplex:scim", "idplex:scim/admin@0.1.0"));
        assert!(selects("idplex:scim@0.1.0", "idplex:scim/handler@0.1.0"));
        assert!(!selects("idplex:scim/handler@0.2.0", "idplex:scim/handler@0.1.0"));
        assert!(!selects("idplex:scim/handler", "idplex:scim/admin@0.1.0"));
        assert!(!selects("idplex:other", "idplex:scim/handler@0.1.0"));
    }

    #[test]
    fn plain_names_are_refused() {
        assert!(ItemName::parse("handler").is_err());
    }
}
