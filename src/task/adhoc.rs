//! `netrun command`: CLI commands given on the command line become an ad-hoc task of `command`
//! steps, so that one step executor runs both task files and ad-hoc commands.

use std::path::PathBuf;

use indexmap::IndexMap;

use super::Task;
use super::schema::{CommandSpec, Step, StepKind};

impl Task {
    /// A task that sends `commands` in order over `connection`, exactly as written (they are
    /// not templates), stopping at the first that fails; each step is named by its command.
    pub fn adhoc(commands: &[String], connection: &str) -> Task {
        Task {
            name: commands.join("; "),
            path: PathBuf::new(),
            description: String::new(),
            connection: connection.to_string(),
            params: IndexMap::new(),
            steps: commands
                .iter()
                .map(|command| Step {
                    name: command.clone(),
                    kind: StepKind::Command(CommandSpec::Literal(command.clone())),
                    when: None,
                    connection: None,
                    changed_when: None,
                    failed_when: None,
                    ignore_errors: false,
                    changed: None,
                    match_mode: Default::default(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_become_literal_steps_named_after_them() {
        let task = Task::adhoc(
            &["show {{ x }}".to_string(), "show clock".to_string()],
            "ssh",
        );
        assert_eq!(task.name, "show {{ x }}; show clock");
        let names: Vec<&str> = task.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["show {{ x }}", "show clock"]);
        assert!(matches!(
            &task.steps[0].kind,
            StepKind::Command(CommandSpec::Literal(c)) if c == "show {{ x }}"
        ));
    }
}
