using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepImagine.Storage;

/// <summary>Applies the embedded SQL migrations (DbUp), once, even when several processes start together.</summary>
public static class DatabaseMigrator
{
    // Any constant: every process that migrates takes this advisory lock first.
    private const long MigrationLockKey = 0x4465_6570_496D_6167;

    public static void Migrate(string connectionString, ILogger? logger = null)
    {
        using var lockConnection = new NpgsqlConnection(connectionString);
        lockConnection.Open();
        using (var take = new NpgsqlCommand($"select pg_advisory_lock({MigrationLockKey})", lockConnection)) take.ExecuteNonQuery();
        try
        {
            var builder = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, name => name.EndsWith(".sql", StringComparison.Ordinal))
                .WithTransactionPerScript();
            builder = logger is null ? builder.LogToNowhere() : builder.LogTo(new DbUpLogger(logger));
            var result = builder.Build().PerformUpgrade();
            if (!result.Successful)
                throw new InvalidOperationException($"database migration failed at script '{result.ErrorScript?.Name}': {result.Error.Message}", result.Error);
        }
        finally
        {
            using var release = new NpgsqlCommand($"select pg_advisory_unlock({MigrationLockKey})", lockConnection);
            release.ExecuteNonQuery();
        }
    }

    private sealed class DbUpLogger(ILogger logger) : DbUp.Engine.Output.IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace(format, args);
        public void LogDebug(string format, params object[] args) => logger.LogDebug(format, args);
        public void LogInformation(string format, params object[] args) => logger.LogInformation(format, args);
        public void LogWarning(string format, params object[] args) => logger.LogWarning(format, args);
        public void LogError(string format, params object[] args) => logger.LogError(format, args);
        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, format, args);
    }
}
