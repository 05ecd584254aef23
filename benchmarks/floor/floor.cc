// The compiled floor hepreint's speed is compared with: the first steps of any truth-level
// analysis, done the fastest honest way in C++.
//
//   HepMC3 ASCII (the official HepMC3 C++ reader) -> stable visible final state (status 1, no
//   neutrinos) -> anti-kt R = 0.4 (FastJet) -> jets pT > 25 GeV, |eta| < 2.5 -> events with
//   >= 4 such jets.
//
// A floor, not a competitor: a real analysis does much more (leptons, overlap removal, b-tagging,
// regions); if hepreint's whole analysis runs faster than this, reading and clustering are not
// where its time goes. Written for hepreint's benchmarks from the HepMC3 and FastJet manuals.
//
// Output, one line that benchmarks/stages.py parses:
//   floor events=N ge4jets=M seconds=S events_per_s=R   (S: this program's own timer)

#include <HepMC3/GenEvent.h>
#include <HepMC3/GenParticle.h>
#include <HepMC3/ReaderAscii.h>
#include <fastjet/ClusterSequence.hh>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE.hepmc3 [--read-only]\n", argv[0]);
        return 2;
    }
    const bool read_only = argc > 2 && std::string(argv[2]) == "--read-only";
    const auto start = std::chrono::steady_clock::now();
    HepMC3::ReaderAscii reader(argv[1]);
    if (reader.failed()) {
        std::fprintf(stderr, "%s: cannot open as HepMC3 ASCII\n", argv[1]);
        return 2;
    }
    const fastjet::JetDefinition antikt(fastjet::antikt_algorithm, 0.4);
    long events = 0, ge4 = 0;
    std::vector<fastjet::PseudoJet> inputs;
    while (true) {
        HepMC3::GenEvent event;
        reader.read_event(event);
        if (reader.failed()) break;
        ++events;
        if (read_only) continue;
        // momenta in GeV whatever the file's unit (Pythia writes GeV, others MeV)
        const double to_gev = event.momentum_unit() == HepMC3::Units::MEV ? 1e-3 : 1.0;
        inputs.clear();
        for (const auto& p : event.particles()) {
            const int id = std::abs(p->pid());
            if (p->status() != 1 || id == 12 || id == 14 || id == 16) continue;
            const HepMC3::FourVector& m = p->momentum();
            inputs.emplace_back(m.px() * to_gev, m.py() * to_gev, m.pz() * to_gev, m.e() * to_gev);
        }
        fastjet::ClusterSequence clustering(inputs, antikt);
        int jets = 0;
        for (const auto& j : clustering.inclusive_jets(25.0)) {
            if (std::abs(j.eta()) < 2.5) ++jets;
        }
        if (jets >= 4) ++ge4;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("floor events=%ld ge4jets=%ld seconds=%.3f events_per_s=%.1f%s\n", events, ge4,
                seconds, seconds > 0 ? events / seconds : 0.0, read_only ? " read_only=1" : "");
    return events > 0 ? 0 : 1;
}
