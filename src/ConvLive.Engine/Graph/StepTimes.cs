// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.Engine.Graph;

/// <summary>Per-step medians for the forward and backward profiles: each step timed on its own, synchronised.</summary>
internal static class StepTimes
{
    /// <summary>Runs <paramref name="runs"/> rounds of <paramref name="steps"/> steps and gives each step's median in ms.</summary>
    /// <param name="steps">Steps a round.</param>
    /// <param name="runs">Rounds.</param>
    /// <param name="step">Runs step i.</param>
    /// <param name="synchronize">Waits for the device after each step, so its time is its own.</param>
    /// <param name="beforeRound">Runs untimed before each round (the backward pass uploads its seed), or null.</param>
    /// <returns>The medians, one a step.</returns>
    public static double[] Medians(int steps, int runs, Action<int> step, Action synchronize, Action? beforeRound = null)
    {
        var times = new double[steps][];
        for (var i = 0; i < steps; i++)
        {
            times[i] = new double[runs];
        }

        for (var r = 0; r < runs; r++)
        {
            beforeRound?.Invoke();
            for (var i = 0; i < steps; i++)
            {
                var start = Stopwatch.GetTimestamp();
                step(i);
                synchronize();
                times[i][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        return times.Select(t =>
        {
            Array.Sort(t);
            return t[runs / 2];
        }).ToArray();
    }
}
