// ProfileCheck.cs: the managed binding holds to Unity's profile
// (tests/test_csharp_profile.c builds the library, then runs this on it):
// every type it uses from outside itself is one of .NET Standard 2.0's
// (netstandard.dll forwards it: the facade Mono ships, its second
// argument), and it uses no reflection-based serialisation or emitting
// (IL2CPP strips them): no type of System.Runtime.Serialization,
// System.Xml.Serialization or System.Reflection.Emit, no call that finds
// members by name. Reads both with Mono.Cecil. Prints "N passed, N failed".
using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;

static class ProfileCheck
{
    static int Main(string[] args)
    {
        var lib = ModuleDefinition.ReadModule(args[0]);
        var standard = new HashSet<string>(ModuleDefinition.ReadModule(args[1]).ExportedTypes.Select(t => t.FullName));
        int passed = 0, failed = 0;
        foreach (var t in lib.GetTypeReferences()) {
            if (!(t.Scope is AssemblyNameReference))
                continue;
            string name = t.FullName;
            bool ok = standard.Contains(name);
            bool banned = name.StartsWith("System.Runtime.Serialization.") || name.StartsWith("System.Xml.Serialization.") ||
                          name.StartsWith("System.Reflection.Emit.");
            if (ok && !banned)
                passed++;
            else {
                failed++;
                Console.WriteLine("FAILED: " + name + (banned ? ": reflection's serialisation or emitting" :
                                                              ": not in .NET Standard 2.0 (" + t.Scope.Name + ")"));
            }
        }
        var byName = new[] { "GetMethod", "GetMethods", "GetProperty", "GetProperties", "GetField", "GetFields",
                             "GetMember", "GetMembers", "InvokeMember", "CreateInstance" };
        foreach (var m in lib.GetMemberReferences())
            if (byName.Contains(m.Name) && (m.DeclaringType.FullName == "System.Type" ||
                                             m.DeclaringType.FullName == "System.Activator")) {
                failed++;
                Console.WriteLine("FAILED: " + m.FullName + ": reflection by name");
            }
        if (standard.Count < 1000) {
            failed++;
            Console.WriteLine("FAILED: " + args[1] + " forwards " + standard.Count + " types: not netstandard.dll");
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 && passed > 50 ? 0 : 1;
    }
}
