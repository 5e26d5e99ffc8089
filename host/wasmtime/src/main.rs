//! The `idplex` executable: `idplex serve` and `idplex admin-token reset`.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use idplex_host::admin_token::{self, AdminToken};
use idplex_host::cli::{AdminTokenCommand, CheckArgs, Cli, Command, ReclaimArgs, ServeArgs, StoreArgs};
use idplex_host::{ComponentSource, Host, HostConfig, Runtime, banner, file_size_limit, maintenance, sha256_hex};

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse_args();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::AdminToken(AdminTokenCommand::Reset { data }) => reset_admin_token(&data),
        Command::Check(args) => check(args),
        Command::Reclaim(args) => reclaim(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    tokio.block_on(async { file_size_limit::survive_file_size_limit() })?;
    if args.admin_token_on_command_line {
        tracing::warn!(
            "the admin token was given with --admin-token, where other users of this machine can read it \
             (ps, /proc); pass it in IDPLEX_ADMIN_TOKEN or --admin-token-file instead"
        );
    }
    let from_file = args.admin_token_file.as_deref().map(admin_token::read_token_file).transpose()?;
    let token = admin_token::bootstrap(&args.data, args.admin_token.as_deref().or(from_file.as_deref()))?;
    let source = args.component.clone().map_or(ComponentSource::Default, ComponentSource::Path);
    let runtime = Runtime::load(source)?
        .with_guest_time_limit(std::time::Duration::from_millis(args.guest_time_limit_ms))
        .with_guest_memory_limit(args.guest_memory_bytes());
    let host = Host::open(
        runtime,
        HostConfig {
            data_dir: args.data.clone(),
            admin_token_sha256: token.sha256().to_owned(),
            public_base_url: args.public_url.clone(),
            max_concurrency: args.max_concurrency,
            max_body_bytes: args.max_body_bytes,
            max_connections: args.max_connections,
            body_budget_bytes: args.body_budget_bytes(),
            body_read_timeout: std::time::Duration::from_secs(args.body_read_timeout_secs),
            body_idle_timeout: std::time::Duration::from_secs(args.body_idle_timeout_secs),
            header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout_secs),
            store: args.store.clone(),
            store_faults: args.inject_store_faults,
        },
    )?;

    tokio.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        print_stdout(&banner::startup_message(addr, &args.data, args.public_url.as_deref(), &token));
        idplex_host::serve(Arc::new(host), listener, shutdown_signal()).await
    })?;
    tracing::info!("stopped");
    Ok(())
}

fn reset_admin_token(data: &std::path::Path) -> anyhow::Result<()> {
    let AdminToken::Generated { token, .. } = admin_token::reset(data)? else {
        anyhow::bail!("reset did not generate a token");
    };
    print_stdout(&format!(
        "New admin token (shown only this once; only its hash is stored in {}):\n  {token}\n\
         Restart `idplex serve` for it to take effect; until then the old token keeps working.\n\
         A token given with --admin-token, --admin-token-file or their variables takes precedence over this one.\n",
        data.display()
    ));
    Ok(())
}

/// The host an offline command (`check`, `reclaim`) works through: over the store of
/// `target`, serving no requests (its admin token hash is that of a random, discarded token),
/// with `runtime`'s guest time limit changed by `time_limit`. Writes past a file size limit fail
/// instead of killing the command half-way.
fn offline_host(target: StoreArgs, time_limit: Option<std::time::Duration>) -> anyhow::Result<Host> {
    let data = &target.data;
    anyhow::ensure!(data.is_dir(), "no data directory at {}; pass --data (or IDPLEX_DATA)", data.display());
    let signals = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    signals.block_on(async { file_size_limit::survive_file_size_limit() })?;
    let source = target.component.map_or(ComponentSource::Default, ComponentSource::Path);
    let mut runtime = Runtime::load(source)?;
    if let Some(limit) = time_limit {
        runtime = runtime.with_guest_time_limit(limit);
    }
    let mut unused_token = [0u8; 32];
    getrandom::fill(&mut unused_token).map_err(|e| anyhow::anyhow!("OS random generator: {e}"))?;
    let mut config = HostConfig::new(data, sha256_hex(&hex::encode(unused_token)));
    config.store = target.store;
    Host::open(runtime, config)
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let options = maintenance::CheckOptions { repair: args.repair, now_millis: args.now_millis };
    let outcome = offline_host(args.target, Some(maintenance::CHECK_TIME_LIMIT))?.check(options)?;
    print_stdout(&maintenance::render(&outcome));
    anyhow::ensure!(
        maintenance::is_clean(&outcome.report),
        "the store has violations; run `idplex check --repair` to fix them"
    );
    Ok(())
}

fn reclaim(args: ReclaimArgs) -> anyhow::Result<()> {
    let host = offline_host(args.target, None)?;
    let started = std::time::Instant::now();
    let (mut steps, mut keys, mut connections) = (0u64, 0u64, 0u64);
    loop {
        let progress = host.reclaim(idplex_host::reclaimer::BACKGROUND_BUDGET)?;
        if progress.busy {
            std::thread::sleep(std::time::Duration::from_millis(200));
            continue;
        }
        steps += 1;
        keys += progress.reclaimed_keys;
        connections += progress.finished_connections;
        if progress.pending == 0 {
            break;
        }
    }
    print_stdout(&format!(
        "reclaimed {keys} keys of {connections} deleted connections in {steps} steps ({:.1} s); nothing is pending\n",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Writes to stdout and flushes, so the message appears before any request is served.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the server.
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
