using Memcov.Cli;

using var signals = new TerminationSignals();
return await CliApp.RunAsync(args, CliConsole.FromProcess(), signals.Token);
