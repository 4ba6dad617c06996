// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Models;

/// <summary>How one class fared.</summary>
/// <param name="Name">The class.</param>
/// <param name="Pictures">Its training and held-out pictures.</param>
/// <param name="HeldOutAccuracy">Share of its held-out pictures classified right (null when none were held out).</param>
/// <param name="TestAccuracy">Share of its test pictures classified right (null without a test set).</param>
public sealed record ClassSummary(string Name, int Pictures, double? HeldOutAccuracy, double? TestAccuracy);

/// <summary>What <c>convlive train</c> measured, kept in the exported model's manifest for people and tools.</summary>
/// <param name="Backbone">The backbone's name and where it was cut.</param>
/// <param name="Augmentation">The augmentation ("off" or its views and ranges).</param>
/// <param name="TrainingRows">Feature vectors trained on per epoch.</param>
/// <param name="Epochs">Passes over them.</param>
/// <param name="HeldOutAccuracy">Share of held-out pictures right (null when none were held out).</param>
/// <param name="Classes">Per class, in output order.</param>
/// <param name="Confusion">Held-out confusion matrix, [true][predicted].</param>
/// <param name="TestAccuracy">Share of the test set's pictures right (null without one).</param>
/// <param name="TestNotSure">Share of the test set's pictures answered "not sure" (null without one).</param>
/// <param name="TestConfidentAccuracy">Share right among the test pictures answered with a class (null without one).</param>
public sealed record TrainingSummary(string Backbone, string Augmentation, int TrainingRows, int Epochs, double? HeldOutAccuracy, IReadOnlyList<ClassSummary> Classes, int[][] Confusion, double? TestAccuracy = null, double? TestNotSure = null, double? TestConfidentAccuracy = null);
