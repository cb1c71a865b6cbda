namespace DeepImagine.Tests;

/// <summary>The tests' PostgreSQL database: <c>DEEPIMAGINE_TEST_CONNECTION</c>, else the local <c>deepimagine_test</c>.</summary>
internal static class TestDatabase
{
    public static string ConnectionString { get; } = Environment.GetEnvironmentVariable("DEEPIMAGINE_TEST_CONNECTION")
        ?? "Host=127.0.0.1;Port=5432;Database=deepimagine_test;Username=deepimagine;Password=deepimagine";
}
