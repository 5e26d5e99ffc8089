//! The parts of `spin.toml` that decide what Spin loads: the HTTP component, its dependencies,
//! its key-value stores and the variables it reads, parsed with the field names of Spin's
//! manifest (version 2).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use serde::Deserialize;

/// A Spin application manifest (`spin_manifest_version = 2`), reduced to what idplex uses.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// Always 2.
    pub spin_manifest_version: u32,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`: the application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    /// `[[trigger.<type>]]`.
    pub trigger: Triggers,
    /// `[component.<id>]`.
    #[serde(default)]
    pub component: BTreeMap<String, Component>,
}

/// `[application]`.
#[derive(Debug, Deserialize)]
pub struct Application {
    /// The application name.
    pub name: String,
}

/// An application variable.
#[derive(Debug, Deserialize)]
pub struct Variable {
    /// Whether `spin up` refuses to start without a value.
    #[serde(default)]
    pub required: bool,
    /// Whether the value is a secret (never logged).
    #[serde(default)]
    pub secret: bool,
    /// The value when none is provided.
    pub default: Option<String>,
}

/// The triggers; idplex has only HTTP ones.
#[derive(Debug, Deserialize)]
pub struct Triggers {
    /// `[[trigger.http]]`.
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

/// `[[trigger.http]]`.
#[derive(Debug, Deserialize)]
pub struct HttpTrigger {
    /// The route, e.g. `/...`.
    pub route: String,
    /// The id of the component that handles the route.
    pub component: String,
}

/// `[component.<id>]`.
#[derive(Debug, Deserialize)]
pub struct Component {
    /// The `.wasm` file, relative to the manifest's directory.
    pub source: String,
    /// The key-value stores the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Component variables: `wasi:config` key to a template over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// `[component.<id>.dependencies]`: import name (or package) to the component plugged in.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Dependency>,
    /// `[component.<id>.build]`.
    pub build: Option<Build>,
}

/// A component dependency from a local file.
#[derive(Debug, Deserialize)]
pub struct Dependency {
    /// The `.wasm` file, relative to the manifest's directory.
    pub path: String,
    /// The export plugged into the import; the import's own name when absent.
    pub export: Option<String>,
    /// Which configuration of the parent the dependency may use.
    pub inherit_configuration: Option<Inherit>,
}

/// The `inherit_configuration` of a dependency.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Inherit {
    /// `"all"` or `"none"`.
    Mode(String),
    /// A list of configuration keys, e.g. `["key_value_stores", "variables"]`.
    Keys(Vec<String>),
}

/// `[component.<id>.build]`.
#[derive(Debug, Deserialize)]
pub struct Build {
    /// The command `spin build` runs in the manifest's directory.
    pub command: String,
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let manifest: Manifest = toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
        if manifest.spin_manifest_version != 2 {
            bail!("spin_manifest_version must be 2, got {}", manifest.spin_manifest_version);
        }
        Ok(manifest)
    }

    /// The id and definition of the component serving HTTP route `route`.
    pub fn http_component(&self, route: &str) -> anyhow::Result<(&str, &Component)> {
        let trigger = self
            .trigger
            .http
            .iter()
            .find(|t| t.route == route)
            .ok_or_else(|| anyhow!("no [[trigger.http]] with route {route:?}"))?;
        let component = self
            .component
            .get(&trigger.component)
            .ok_or_else(|| anyhow!("trigger names component {:?}, which is not defined", trigger.component))?;
        Ok((&trigger.component, component))
    }

    /// The values a component reads through `wasi:config`, as Spin resolves them: each
    /// component variable's template with `{{ name }}` replaced by the application variable's
    /// value from `provided`, else its default. A required variable without a value is an
    /// error, as it is for `spin up`.
    pub fn resolve_variables(
        &self,
        component: &Component,
        provided: &BTreeMap<String, String>,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        for (key, template) in &component.variables {
            values.insert(key.clone(), self.render(template, provided)?);
        }
        Ok(values)
    }

    fn render(&self, template: &str, provided: &BTreeMap<String, String>) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| anyhow!("unclosed `{{{{` in {template:?}"))?;
            let name = after[..end].trim();
            let variable = self.variables.get(name).ok_or_else(|| anyhow!("undefined variable {name:?}"))?;
            let value = match (provided.get(name), &variable.default) {
                (Some(value), _) => value.clone(),
                (None, Some(default)) => default.clone(),
                (None, None) => bail!("required variable {name:?} has no value"),
            };
            out.push_str(&value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// A path in the manifest, resolved against the manifest's directory.
pub fn resolve_path(manifest_path: &Path, relative: &str) -> PathBuf {
    manifest_path.parent().unwrap_or(Path::new(".")).join(relative)
}
