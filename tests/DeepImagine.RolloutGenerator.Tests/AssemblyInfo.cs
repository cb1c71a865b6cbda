// Torch already uses every core inside each operation; tests running side by side would only contend.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
