namespace DeepImagine.Contracts.V1;

/// <summary>The kinds of <see cref="VerifiablePromptRecord"/> (trace-generator stores them; reward-verifier scores them by kind).</summary>
public static class VerifiablePromptKinds
{
    /// <summary>One local step across two similar trials, in the step format; gold = direction, significance, log ratio.</summary>
    public const string ApproximateStep = "approximate-step";
    /// <summary>CT Open 2-way explicit: arm X significantly better than arm Y or not; gold = option index.</summary>
    public const string Superiority = "superiority";
    /// <summary>CT Open 3-way: X worse / Y worse / no significant difference; gold = option index.</summary>
    public const string Comparative = "comparative";
    /// <summary>CT Open 2-way implicit: the endpoint is met or not; gold = option index.</summary>
    public const string EndpointMet = "endpoint-met";
    /// <summary>Evidence Inference: significantly increased / decreased / no difference; gold = option index.</summary>
    public const string EvidenceInference = "evidence-inference";

    public static readonly IReadOnlyList<string> All = [ApproximateStep, Superiority, Comparative, EndpointMet, EvidenceInference];

    /// <summary>Whether prompts of this kind are answered with an option (<c>ANSWER: n</c>) rather than a RESULT line.</summary>
    public static bool IsQuestion(string kind) => kind is Superiority or Comparative or EndpointMet or EvidenceInference;
}
