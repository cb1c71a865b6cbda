using DeepImagine.Cli;

return await CliApp.RunAsync(args);
