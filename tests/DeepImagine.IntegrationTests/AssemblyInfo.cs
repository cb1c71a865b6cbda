// The collections share one RabbitMQ vhost and one database, and each starts service hosts that consume the same
// queues (a second gpu-learner or predictor would compete for another collection's messages): they run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
