//! The container set-up, run without a container engine: the binary started the way the
//! `Dockerfile` starts it (its `ENV`, `CMD` and `HEALTHCHECK`) with the config that
//! `docker-compose.yml` mounts. (`scripts/check-docker.sh` validates the compose file and
//! the build command; no engine runs here to build the image itself.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::{run, start_cmd, stop};
use crate::helpers::sqlite_only;
use crate::sinks::free_port;

fn repo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

/// The Dockerfile's instructions of the runtime stage, continuation lines joined.
fn runtime_instructions() -> Vec<String> {
    let text = std::fs::read_to_string(repo("Dockerfile")).unwrap();
    let joined = text.replace("\\\n", " ");
    let stages: Vec<&str> = joined.split("\nFROM ").collect();
    assert!(stages.len() >= 2, "a multi-stage Dockerfile");
    stages
        .last()
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A JSON-array (exec form) argument list of an instruction like `CMD ["a", "b"]`.
fn exec_form(rest: &str) -> Vec<String> {
    let start = rest.find('[').expect("exec form");
    serde_json::from_str(&rest[start..]).unwrap()
}

fn instruction<'a>(all: &'a [String], name: &str) -> &'a str {
    all.iter()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in the runtime stage"))
}

#[tokio::test]
async fn the_image_s_command_environment_and_health_check_work_with_the_compose_config() {
    sqlite_only!(
        "the image's own settings: a SQLite file on its volume, whatever the suite runs on"
    );
    let ins = runtime_instructions();
    assert!(
        ins.iter()
            .any(|l| l.starts_with("USER ") && !l.contains("root")),
        "runs as a non-root user: {ins:?}"
    );
    assert!(ins.iter().any(|l| l == "VOLUME [\"/data\"]"), "{ins:?}");
    let entrypoint = exec_form(instruction(&ins, "ENTRYPOINT "));
    let cmd = exec_form(instruction(&ins, "CMD "));
    let health = exec_form(
        instruction(&ins, "HEALTHCHECK ")
            .split(" CMD ")
            .nth(1)
            .unwrap(),
    );
    assert_eq!(entrypoint, ["/usr/local/bin/natter"]);
    assert_eq!(health[0], "/usr/local/bin/natter");

    // ENV NATTER_BIND=0.0.0.0:8080 NATTER_DATABASE=/data/natter.db, with the port and the
    // volume moved to this test's own.
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let env: Vec<(String, String)> = instruction(&ins, "ENV ")
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let v = v
                .replace(":8080", &format!(":{port}"))
                .replace("/data", data.path().to_str().unwrap());
            (k.to_string(), v)
        })
        .collect();
    assert!(env.iter().any(|(k, _)| k == "NATTER_BIND"));
    assert!(env.iter().any(|(k, _)| k == "NATTER_DATABASE"));
    let compose = std::fs::read_to_string(repo("docker-compose.yml")).unwrap();
    assert!(compose.contains("./deploy/natter.toml:/etc/natter/natter.toml:ro"));
    assert!(compose.contains("NATTER_CONFIG: /etc/natter/natter.toml"));

    let natter = |args: &[String]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_natter"));
        c.args(args)
            .current_dir(data.path())
            .env_remove("NATTER_ADMIN_TOKEN")
            .env("NATTER_CONFIG", repo("deploy/natter.toml"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        c
    };
    let mut health_cmd = natter(&health[1..]);
    let (code, _, err) = run(&mut health_cmd);
    assert_ne!(code, 0, "unhealthy before the server runs");
    assert!(err.contains("cannot reach"), "{err}");

    let server = start_cmd(natter(&cmd));
    assert_eq!(server.port, port, "listens where NATTER_BIND says");
    let base = format!("http://127.0.0.1:{port}");
    let demo = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(demo.status(), 200);
    let (code, out, err) = run(&mut health_cmd);
    assert_eq!(code, 0, "healthy: {out} {err}");
    assert!(
        data.path().join("natter.db").is_file(),
        "the database is on the volume"
    );
    assert!(
        server.stderr.contains("first admin token"),
        "{}",
        server.stderr
    );
    stop(server);
}
