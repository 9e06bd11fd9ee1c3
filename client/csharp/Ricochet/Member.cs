// Member.cs: a member of my room (not me) as this session sees it
// (Session.Members, FindMember).

namespace Ricochet
{
    /// <summary>A member of my room (not me), as this session sees it: Name
    /// "" until its joined notice came; State its newest (HasState false:
    /// none yet).</summary>
    public sealed class Member
    {
        public uint Id;
        public string Name;
        public string Player;   // its player id: the same across rejoins and moves

        public Mode Mode;
        public bool HasState;
        public State State;
        public ulong LastRecvUs;
        public Stats Stats;
    }
}
