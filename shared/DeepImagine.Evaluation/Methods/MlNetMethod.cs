using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace DeepImagine.Evaluation.Methods;

/// <summary>
/// A classical classifier per question class on hashed features of question and trial (ML.NET): <c>logreg</c> is
/// multinomial logistic regression (L-BFGS maximum entropy, softmax probabilities), <c>forest</c> a FastForest per
/// answer, one-versus-all with Platt calibration. A class whose knowledge lacks an answer, or has too few examples,
/// is not fitted: its questions go unanswered (the harness gives the prior and counts them).
/// </summary>
public sealed class MlNetMethod : IOutcomeMethod
{
    public const int MinimumExamplesPerAnswer = 3;

    private readonly MLContext _ml;
    private readonly Func<MLContext, IEstimator<ITransformer>> _trainer;
    private readonly Dictionary<(string Class, int Options), PredictionEngine<Example, Scored>> _models = [];
    private readonly Dictionary<(string Class, int Options), string> _notFitted = [];

    private MlNetMethod(string name, int seed, Func<MLContext, IEstimator<ITransformer>> trainer)
    {
        Name = name;
        _ml = new MLContext(seed);
        _trainer = trainer;
    }

    public string Name { get; }

    // Regularization chosen by 5-fold grouped cross-validation on the train files only (docs/evaluation.md): L2 10 against
    // 1 and 50 (L1 0.1 against 1) kept CT Open's balanced accuracy and cut its cross-entropy below the prior's.
    public static MlNetMethod LogisticRegression(int seed) => new("logreg", seed,
        ml => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l1Regularization: 0.1f, l2Regularization: 10f));

    // Small trees with large leaves, chosen by the same grouped cross-validation (docs/evaluation.md) over 4/8/16/32 leaves.
    public static MlNetMethod Forest(int seed) => new("forest", seed,
        ml => ml.MulticlassClassification.Trainers.OneVersusAll(
            ml.BinaryClassification.Trainers.FastForest(numberOfLeaves: 8, numberOfTrees: 200, minimumExampleCountPerLeaf: 20)));

    public void Fit(IReadOnlyList<LabelledQuestion> knowledge)
    {
        _models.Clear();
        _notFitted.Clear();
        foreach (var group in knowledge.GroupBy(k => (k.Question.QuestionClass, k.Question.OptionCount)))
        {
            var counts = Enumerable.Range(0, group.Key.OptionCount).Select(i => group.Count(k => k.Answer == i)).ToArray();
            if (counts.Any(c => c < MinimumExamplesPerAnswer))
            {
                _notFitted[group.Key] = $"too few known answers to fit class '{group.Key.QuestionClass}' (per option: {string.Join('/', counts)}; need {MinimumExamplesPerAnswer} each)";
                continue;
            }
            var data = _ml.Data.LoadFromEnumerable(group.Select(k => new Example { Label = (uint)k.Answer, Features = FeatureHasher.Vector(k.Question.Features) }),
                SchemaFor());
            // Keys sorted by value, so score slot i is option i (every option occurs, checked above).
            var pipeline = _ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                .Append(_trainer(_ml));
            var model = pipeline.Fit(data);
            _models[group.Key] = _ml.Model.CreatePredictionEngine<Example, Scored>(model, inputSchemaDefinition: SchemaFor());
        }
    }

    public MethodAnswer Predict(EvalQuestion question)
    {
        var key = (question.QuestionClass, question.OptionCount);
        if (!_models.TryGetValue(key, out var engine))
            return MethodAnswer.Unanswered(_notFitted.TryGetValue(key, out var why) ? why : $"no known answers of class '{question.QuestionClass}'");
        var scores = engine.Predict(new Example { Features = FeatureHasher.Vector(question.Features) }).Score;
        if (scores.Length != question.OptionCount)
            return MethodAnswer.Unanswered($"the model gave {scores.Length} scores for {question.OptionCount} options");
        var total = scores.Sum(s => Math.Max(s, 0f));
        return total > 0
            ? new MethodAnswer(scores.Select(s => Math.Max(s, 0f) / (double)total).ToArray())
            : MethodAnswer.Unanswered("the model gave no positive score");
    }

    private static SchemaDefinition SchemaFor()
    {
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureHasher.Dimensions);
        return schema;
    }

    private sealed class Example
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}
