using DeepImagine.FaultTests;

return await FaultRun.RunAsync();
