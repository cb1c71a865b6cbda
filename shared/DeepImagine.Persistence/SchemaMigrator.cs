using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepImagine.Persistence;

/// <summary>
/// Applies one service's embedded SQL migrations (DbUp) to that service's own PostgreSQL schema, with the journal in
/// the same schema, once, even when several instances start together (an advisory lock per schema).
/// Scripts are written without a schema prefix: the connection's search path is the service's schema.
/// </summary>
public static class SchemaMigrator
{
    public const string JournalTable = "schema_versions";

    /// <param name="scriptsAssembly">the service's data assembly; every embedded resource ending in .sql is a migration, applied in name order</param>
    public static void Migrate(string connectionString, string schema, System.Reflection.Assembly scriptsAssembly, ILogger? logger = null)
    {
        ServiceSchema.Validate(schema);
        var schemaConnection = ServiceSchema.ConnectionStringFor(connectionString, schema);
        using var lockConnection = new NpgsqlConnection(connectionString);
        lockConnection.Open();
        var lockKey = ServiceSchema.LockKey(schema);
        using (var take = new NpgsqlCommand($"select pg_advisory_lock({lockKey})", lockConnection)) take.ExecuteNonQuery();
        try
        {
            using (var create = new NpgsqlCommand($"create schema if not exists \"{schema}\"", lockConnection)) create.ExecuteNonQuery();
            var builder = DeployChanges.To
                .PostgresqlDatabase(schemaConnection, schema)
                .WithScriptsEmbeddedInAssembly(scriptsAssembly, name => name.EndsWith(".sql", StringComparison.Ordinal))
                .JournalToPostgresqlTable(schema, JournalTable)
                .WithTransactionPerScript();
            builder = logger is null ? builder.LogToNowhere() : builder.LogTo(new DbUpLogger(logger));
            var result = builder.Build().PerformUpgrade();
            if (!result.Successful)
                throw new InvalidOperationException($"migration of schema '{schema}' failed at script '{result.ErrorScript?.Name}': {result.Error.Message}", result.Error);
        }
        finally
        {
            using var release = new NpgsqlCommand($"select pg_advisory_unlock({lockKey})", lockConnection);
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
