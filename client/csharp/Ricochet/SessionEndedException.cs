// SessionEndedException.cs: what a poll after the session's end throws: the
// reason in words.
using System;

namespace Ricochet
{
    /// <summary>A poll after the session's end: the reason in words (the
    /// Disconnected event said it first).</summary>
    public sealed class SessionEndedException : InvalidOperationException
    {
        public SessionEndedException(string reason) : base(reason) { }
    }
}
