using DeepImagine.Cli;

return await CliCommands.Build().Parse(args).InvokeAsync();
