//! Driving the `sitekit` admin CLI against a database: create tenants, agents and
//! widgets and read back the JSON it prints (`--json`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow};

use crate::embed_server::LOCAL_RUNTIMES;
use crate::langflow::Langflow;
use crate::{cmd, master_key, step};

/// The CLI, pointed at one database (and its master key file) and one public
/// server URL (for snippets).
pub struct SitekitCli<'a> {
    pub bin: &'a Path,
    pub database_url: &'a str,
    pub master_key: &'a Path,
    pub public_url: &'a str,
}

/// A created widget.
pub struct Widget {
    pub id: String,
    pub publishable_key: String,
    pub snippet: String,
}

impl SitekitCli<'_> {
    /// `sitekit tenants create` (a buyer) → the tenant id.
    pub fn create_tenant(&self, name: &str) -> Result<String> {
        self.create_organisation(name, &["buyer"])
    }

    /// `sitekit tenants create --role …` → the tenant id.
    pub fn create_organisation(&self, name: &str, roles: &[&str]) -> Result<String> {
        let mut args = vec!["tenants", "create", "--name", name];
        for role in roles {
            args.extend(["--role", role]);
        }
        let tenant = self.run(&args, None)?;
        string(&tenant, "id")
    }

    /// `sitekit agents create --runtime langflow …` → the agent id.
    pub fn create_langflow_agent(
        &self,
        tenant_id: &str,
        name: &str,
        langflow: &Langflow,
        flow_id: &str,
    ) -> Result<String> {
        let args = [
            "agents",
            "create",
            "--tenant",
            tenant_id,
            "--name",
            name,
            "--runtime",
            "langflow",
            "--base-url",
            &langflow.url,
            "--flow-id",
            flow_id,
        ];
        let agent = self.run(&args, Some(&langflow.key))?;
        string(&agent, "id")
    }

    /// For benches that never reach an agent's runtime: a tenant, an agent whose
    /// runtime address has nothing listening, and a widget titled `title` allowed
    /// on `origin`. Returns the tenant id and the widget.
    pub fn create_widget_without_runtime(
        &self,
        origin: &str,
        title: &str,
    ) -> Result<(String, Widget)> {
        step(format!("seeding a bench widget allowed on {origin}"));
        let runtime = Langflow {
            url: "http://127.0.0.1:9".into(),
            key: "never-called".into(),
        };
        let tenant = self.create_tenant("Bench")?;
        let agent = self.create_langflow_agent(&tenant, "Bench agent", &runtime, "bench-flow")?;
        let widget = self.create_widget(&agent, origin, title)?;
        Ok((tenant, widget))
    }

    /// A seller's published agent with `versions` versions on one Langflow
    /// flow (`sitekit catalog create`, then `catalog publish` for each) → its
    /// id.
    pub fn publish_langflow_agent(
        &self,
        seller_id: &str,
        name: &str,
        langflow: &Langflow,
        flow_id: &str,
        versions: usize,
    ) -> Result<String> {
        let args = ["catalog", "create", "--tenant", seller_id, "--name", name];
        let agent = string(&self.run(&args, None)?, "id")?;
        let first = [
            "catalog",
            "publish",
            &agent,
            "--base-url",
            &langflow.url,
            "--flow-id",
            flow_id,
        ];
        self.run(&first, Some(&langflow.key))?;
        for _ in 1..versions {
            self.run(&["catalog", "publish", &agent, "--flow-id", flow_id], None)?;
        }
        Ok(agent)
    }

    /// `sitekit subscriptions create` following the latest version → its id.
    pub fn subscribe(&self, buyer_id: &str, published_agent_id: &str) -> Result<String> {
        let args = [
            "subscriptions",
            "create",
            "--tenant",
            buyer_id,
            "--published-agent",
            published_agent_id,
        ];
        string(&self.run(&args, None)?, "id")
    }

    /// `sitekit keys create --kind secret` → the key itself, shown this once.
    pub fn create_secret_key(&self, tenant_id: &str) -> Result<String> {
        Ok(self.create_secret_key_with_id(tenant_id)?.1)
    }

    /// `sitekit keys create --kind secret` → its id and the key itself.
    pub fn create_secret_key_with_id(&self, tenant_id: &str) -> Result<(String, String)> {
        let args = ["keys", "create", "--tenant", tenant_id, "--kind", "secret"];
        let key = self.run(&args, None)?;
        Ok((string(&key, "id")?, string(&key, "key")?))
    }

    /// `sitekit members add`: `subject` (the identity provider's `sub`) becomes
    /// a member of the tenant with `role`, or gets that role if one already.
    pub fn add_member(&self, tenant_id: &str, subject: &str, role: &str) -> Result<()> {
        let args = [
            "members",
            "add",
            "--tenant",
            tenant_id,
            "--subject",
            subject,
            "--role",
            role,
        ];
        self.run(&args, None).map(drop)
    }

    /// `sitekit operator-keys create`: an operator key with every operator scope.
    pub fn create_operator_key(&self, note: &str) -> Result<String> {
        let key = self.run(&["operator-keys", "create", "--note", note], None)?;
        string(&key, "key")
    }

    /// `sitekit widgets create` for one allowed origin.
    pub fn create_widget(&self, agent_id: &str, origin: &str, title: &str) -> Result<Widget> {
        self.widget_running("--agent", agent_id, origin, title)
    }

    /// `sitekit widgets create --subscription` for one allowed origin.
    pub fn create_subscription_widget(
        &self,
        subscription_id: &str,
        origin: &str,
        title: &str,
    ) -> Result<Widget> {
        self.widget_running("--subscription", subscription_id, origin, title)
    }

    fn widget_running(&self, what: &str, id: &str, origin: &str, title: &str) -> Result<Widget> {
        let args = [
            "widgets", "create", what, id, "--origin", origin, "--title", title,
        ];
        let widget = self.run(&args, None)?;
        Ok(Widget {
            id: string(&widget["widget"], "id")?,
            publishable_key: string(&widget, "publishableKey")?,
            snippet: string(&widget, "snippet")?,
        })
    }

    /// Runs `sitekit <args> --json`. The runtime key goes in the environment, not
    /// the arguments, which other users of the machine can see.
    fn run(&self, args: &[&str], runtime_key: Option<&str>) -> Result<serde_json::Value> {
        let mut command = Command::new(self.bin);
        command
            .args(args)
            .arg("--json")
            .args(["--runtime-allow", LOCAL_RUNTIMES])
            .env("SITEKIT_DATABASE_URL", self.database_url)
            .env("SITEKIT_PUBLIC_URL", self.public_url);
        master_key::apply(&mut command, self.master_key);
        if let Some(key) = runtime_key {
            command.env("SITEKIT_RUNTIME_KEY", key);
        }
        let out = cmd::stdout(&mut command)?;
        serde_json::from_str(&out)
            .with_context(|| format!("`sitekit {}` printed no JSON: {out}", args.join(" ")))
    }
}

fn string(value: &serde_json::Value, field: &str) -> Result<String> {
    let found = &value[field];
    found
        .as_str()
        .map(str::to_owned)
        .or_else(|| found.as_i64().map(|number| number.to_string()))
        .ok_or_else(|| anyhow!("the sitekit CLI's JSON has no `{field}`: {value}"))
}
