using Memcov.Cli;

return await CliApp.RunAsync(args, CliConsole.FromProcess());
