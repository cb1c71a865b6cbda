using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeepImagine.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The connection string every service reads: <c>ConnectionStrings:deepimagine</c>.</summary>
    public const string ConnectionStringName = "deepimagine";

    public static string GetDeepImagineConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionStringName)
        ?? throw new InvalidOperationException($"missing configuration: ConnectionStrings:{ConnectionStringName} (env ConnectionStrings__{ConnectionStringName})");

    /// <summary>Registers one pooled <see cref="NpgsqlDataSource"/> and the repositories.</summary>
    public static IServiceCollection AddDeepImagineStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetDeepImagineConnectionString();
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        services.AddSingleton<TrialRepository>();
        services.AddSingleton<PairRepository>();
        return services;
    }
}
