using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepImagine.Persistence;

/// <summary>
/// One PostgreSQL schema per service: the service's data source has its schema as search path, so its SQL names only
/// its own tables. Every service reads the same connection string (<c>ConnectionStrings:deepimagine</c>).
/// </summary>
public static partial class ServiceSchema
{
    /// <summary>The connection string every service reads: <c>ConnectionStrings:deepimagine</c>.</summary>
    public const string ConnectionStringName = "deepimagine";

    public static string GetDeepImagineConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionStringName)
        ?? throw new InvalidOperationException($"missing configuration: ConnectionStrings:{ConnectionStringName} (env ConnectionStrings__{ConnectionStringName})");

    /// <summary>
    /// Registers the service's pooled <see cref="NpgsqlDataSource"/> (search path = <paramref name="schema"/>) as a
    /// singleton, and a hosted step that applies the service's migrations at start-up.
    /// </summary>
    public static IServiceCollection AddServiceDatabase(this IServiceCollection services, IConfiguration configuration, string schema, System.Reflection.Assembly migrations)
    {
        Validate(schema);
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(ConnectionStringFor(configuration.GetDeepImagineConnectionString(), schema)).Build());
        services.AddSingleton(new ServiceDatabase(schema, migrations));
        return services;
    }

    /// <summary>Applies the registered service's migrations (call once at start-up, before consuming anything).</summary>
    public static IServiceProvider MigrateServiceDatabase(this IServiceProvider provider, IConfiguration configuration, ILogger? logger = null)
    {
        var database = provider.GetRequiredService<ServiceDatabase>();
        SchemaMigrator.Migrate(configuration.GetDeepImagineConnectionString(), database.Schema, database.Migrations, logger);
        return provider;
    }

    /// <summary>A service host applies its own schema's migrations before it consumes or serves anything.</summary>
    public static Microsoft.AspNetCore.Builder.WebApplication MigrateServiceDatabase(this Microsoft.AspNetCore.Builder.WebApplication app)
    {
        app.Services.MigrateServiceDatabase(app.Configuration, app.Logger);
        return app;
    }

    public static string ConnectionStringFor(string connectionString, string schema) =>
        new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString;

    public static void Validate(string schema)
    {
        if (!SchemaName().IsMatch(schema))
            throw new ArgumentException($"schema name '{schema}' must be lower-case letters, digits and underscores", nameof(schema));
    }

    /// <summary>A stable advisory-lock key per schema, so two services migrate at once but two instances of one never do.</summary>
    public static long LockKey(string schema) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("deepimagine-migrate:" + schema)), 0);

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}

/// <summary>The service's schema and the assembly that embeds its migrations.</summary>
public sealed record ServiceDatabase(string Schema, System.Reflection.Assembly Migrations);
