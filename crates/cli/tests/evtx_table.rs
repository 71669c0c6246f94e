//! Every Windows event log sample in `evtx/` of the real-data corpus (skipped
//! without it, see `haboob-testdata`) hunted through the
//! real pipeline (discovery, EVTX reader, the signin record mapping, the auth
//! engine, campaigns): the exact set of detectors that fire, with the reason
//! each expectation is right. A sample with no credential attack visible in
//! sign-in events must raise no auth alert.

use haboob_hunt::{hunt, HuntOptions, HuntReport};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `<corpus>/evtx`, or None (skip) without the corpus.
fn evtx_dir(test: &str) -> Option<PathBuf> {
    haboob_testdata::corpus_or_skip(test).map(|c| c.join("evtx"))
}

fn run(dir: &Path, rel: &str) -> HuntReport {
    let path = dir.join(rel);
    let inputs = haboob_ingest::discover(&[path.display().to_string()]).expect("input");
    hunt(&inputs, &HuntOptions::default(), &|_| {})
}

/// Samples with a credential attack in their sign-in events.
const ATTACKS: &[(&str, &[&str], &str)] = &[
    (
        "DeepBlueCLI/evtx/smb-password-guessing-security.evtx",
        &["auth.brute_force"],
        "3,558 × 4625 bad password for administrator from 192.168.198.149 over SMB: one \
         account, thousands of guesses, no success",
    ),
    (
        "DeepBlueCLI/evtx/password-spray.evtx",
        &["auth.spray"],
        "294 × 4648: DESKTOP-JR78RLP\\jwrig presented explicit credentials for 41 accounts \
         in 5 minutes, about 7 rounds each: one password per round across the list (DeepBlueCLI \
         itself reports it as a password spray). No result is logged, so no takeover",
    ),
    (
        "EVTX-ATTACK-SAMPLES/Credential Access/kerberos_pwd_spray_4771.evtx",
        &["auth.enumeration", "auth.takeover"],
        "kerbrute-style run from 172.16.66.1 in 20 ms: 7 names answered 4768 0x6 (no such \
         principal), administrator and backdoor 4771 0x18 (bad password), normal a 4768 \
         success. 10 names, 7 unknown: enumeration; only 3 exist, below the 5 existing \
         accounts auth.spray needs; the success from the attacking source is a takeover",
    ),
    (
        "EVTX-ATTACK-SAMPLES/Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx",
        &["auth.burst"],
        "SQL Server 18456 (Application log): 10 login failures from 10.0.2.17 in 0.11 s on \
         10 names (sa and root with a wrong password, 8 built-in certificate logins): a fast \
         burst on several names from a source that never signed in",
    ),
];

/// Samples without a credential attack in sign-in events, and why (what the
/// sample shows per its name and the sign-in events haboob maps from it; the
/// sign-in records in these files are few successes or single failures).
const QUIET: &[(&str, &str)] = &[
    ("DeepBlueCLI/evtx/new-user-security.evtx", "new-user sample: account management, no repeated sign-in failures"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/4794_DSRM_password_change_t1098.evtx", "DSRM password set (persistence), no sign-in"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/ACL_ForcePwd_SPNAdd_User_Computer_Accounts.evtx", "ACL and SPN changes (4662/5136), no sign-in failures"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx", "one interactive 4625 then successes for the same user: a mistype"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_DCSync_4662.evtx", "directory replication (4662), not a sign-in"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.evtx", "Sysmon file creation"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_chrome_firefox_opera_4663.evtx", "browser credential file access (4663)"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_hashdump_4663_4656_lsass_access.evtx", "LSASS handle (4656/4663)"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_keefarce_keepass_credump.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_keepass_KeeThief_Get-KeePassDatabaseKey.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_protectedstorage_5145_rpc_masterkey.evtx", "share access (5145)"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_sysmon_hashdump_cmd_meterpreter.evtx", "Sysmon process events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/CA_teamviewer-dumper_sysmon_10.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/LsassSilentProcessExit_process_exit_monitor_3001_lsass.evtx", "process exit monitor"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx", "PowerShell script blocks"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/Sysmon13_MachineAccount_Password_Hash_Changed_via_LsarSetSecret.evtx", "registry events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/Sysmon_13_Local_Admin_Password_Changed.evtx", "registry event"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/Zerologon_CVE-2020-1472_DFIR_System_NetLogon_Error_EventID_5805.evtx", "Netlogon 5805 in the System log"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/Zerologon_VoidSec_CVE-2020-1472_4626_LT3_Anonym_follwedby_4742_DC_Anony_DC.evtx", "Zerologon: anonymous logons and a machine account change, an exploit, not password guessing"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/babyshark_mimikatz_powershell.evtx", "PowerShell events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/dc_applog_ntdsutil_dfir_325_326_327.evtx", "ESENT application events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx", "Sysmon process creation"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/etw_rpc_zerologon.evtx", "RPC ETW events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/phish_windows_credentials_powershell_scriptblockLog_4104.evtx", "PowerShell script blocks"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/ppl_bypass_ppldump_knowdll_hijack_sysmon_security.evtx", "Sysmon and object access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/remote_pwd_reset_rpc_mimikatz_postzerologon_target_DC.evtx", "a few logons and a password reset, no repeated failures"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/remote_sam_registry_access_via_backup_operator_priv.evtx", "successful network logons of one operator and registry access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon17_18_kekeo_tsssp_default_np.evtx", "named pipe events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_10_11_lsass_memdump.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_10_11_outlfank_dumpert_and_andrewspecial_memdump.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_10_1_memdump_comsvcs_minidump.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_13_keylogger_directx.evtx", "registry events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_2x10_lsass_with_different_pid_RtlCreateProcessReflection.evtx", "Sysmon process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_3_10_Invoke-Mimikatz_hosted_Github.evtx", "Sysmon network and process access"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/sysmon_rdrleakdiag_lsass_dump.evtx", "Sysmon process events"),
    ("EVTX-ATTACK-SAMPLES/Credential Access/tutto_malseclogon.evtx", "seclogon abuse (process events), no password guessing"),
    ("EVTX-ATTACK-SAMPLES/Discovery/4799_remote_local_groups_enumeration.evtx", "group enumeration (4799), not sign-ins"),
    ("EVTX-ATTACK-SAMPLES/Discovery/dicovery_4661_net_group_domain_admins_target.evtx", "SAM object access (4661)"),
    ("EVTX-ATTACK-SAMPLES/Discovery/discovery_bloodhound.evtx", "object access by one signed-in account"),
    ("EVTX-ATTACK-SAMPLES/Discovery/discovery_local_user_or_group_windows_security_4799_4798.evtx", "group enumeration (4798/4799)"),
    ("EVTX-ATTACK-SAMPLES/Lateral Movement/ImpersonateUser-via local Pass The Hash Sysmon and Security.evtx", "pass-the-hash logons that succeed: lateral movement, not guessing"),
    ("EVTX-ATTACK-SAMPLES/Lateral Movement/LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx", "one new-credentials logon (type 9)"),
    ("EVTX-ATTACK-SAMPLES/Lateral Movement/LM_WMIC_4648_rpcss.evtx", "3 × 4648 by user01 for one account (administrator): explicit credentials for WMIC, below the 10 accounts of a spray"),
    ("EVTX-ATTACK-SAMPLES/Lateral Movement/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx", "Sysmon process events"),
    ("EVTX-ATTACK-SAMPLES/Lateral Movement/remote task update 4624 4702 same logonid.evtx", "one network logon and a task update"),
    ("EVTX-ATTACK-SAMPLES/Lateral Movement/smb_bi_auth_conn_spoolsample.evtx", "machine-account logons"),
    ("EVTX-ATTACK-SAMPLES/Other/rdpcorets_148_mst120_bluekeep_rpdscan_full.evtx", "RDP core events of a BlueKeep scan, not sign-ins"),
];

fn detectors(r: &HuntReport) -> BTreeSet<String> {
    r.alerts.iter().map(|a| a.detector.clone()).collect()
}

#[test]
fn every_sample_is_in_the_table() {
    let Some(dir) = evtx_dir("every_sample_is_in_the_table") else {
        return;
    };
    let listed: BTreeSet<&str> = ATTACKS
        .iter()
        .map(|a| a.0)
        .chain(QUIET.iter().map(|q| q.0))
        .collect();
    assert_eq!(listed.len(), ATTACKS.len() + QUIET.len(), "listed twice");
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                let rel = p.strip_prefix(&dir).unwrap().display().to_string();
                found.insert(rel);
            }
        }
    }
    let listed: BTreeSet<String> = listed.into_iter().map(str::to_string).collect();
    assert_eq!(found, listed, "samples in the corpus vs the table");
}

#[test]
fn credential_attacks_raise_exactly_their_detectors() {
    let Some(dir) = evtx_dir("credential_attacks_raise_exactly_their_detectors") else {
        return;
    };
    for (file, want, why) in ATTACKS {
        let r = run(&dir, file);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        assert_eq!(r.stats.rejected, 0, "{file}");
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(detectors(&r), want, "{file}: {why}");
    }
}

#[test]
fn attack_details_are_the_ones_in_the_logs() {
    let Some(dir) = evtx_dir("attack_details_are_the_ones_in_the_logs") else {
        return;
    };
    let r = run(&dir, "DeepBlueCLI/evtx/smb-password-guessing-security.evtx");
    let bf = &r.alerts.to_vec()[0];
    assert_eq!(bf.user.as_deref(), Some("administrator"));
    assert_eq!(bf.source.ip, Some("192.168.198.149".parse().unwrap()));
    assert_eq!(bf.details["failures"], 3558);
    assert_eq!(
        bf.target, "desktop-m5sn04r",
        "TargetDomainName \".\" (a local account) names no organisation: the \
         target is the computer that recorded the failures"
    );

    let r = run(&dir, "DeepBlueCLI/evtx/password-spray.evtx");
    let sp = &r.alerts.to_vec()[0];
    assert_eq!(sp.count, 294);
    assert_eq!(sp.details["probed"], 41);
    assert_eq!(sp.details["actor"], "desktop-jr78rlp\\jwrig");
    assert_eq!(
        sp.source.ip, None,
        "4648's address is the target, not the source"
    );
    assert_eq!(r.campaigns.len(), 1);
    assert_eq!(r.campaigns[0].funnel.unwrap().probed, 41);
    assert_eq!(
        r.campaigns[0].actors,
        vec!["desktop-jr78rlp\\jwrig".to_string()]
    );
    assert!(r.campaigns[0].sources.is_empty());
    assert!(
        r.campaigns[0]
            .summary
            .starts_with("account desktop-jr78rlp\\jwrig made 294 attempts against 1 organisation: 41 names probed"),
        "{}",
        r.campaigns[0].summary
    );

    let r = run(
        &dir,
        "EVTX-ATTACK-SAMPLES/Credential Access/kerberos_pwd_spray_4771.evtx",
    );
    for a in &r.alerts {
        assert_eq!(a.target, "threebeesco.com", "4768 and 4771 on one target");
        assert_eq!(a.source.ip, Some("172.16.66.1".parse().unwrap()));
    }
    let c = &r.campaigns[0];
    let f = c.funnel.unwrap();
    assert_eq!((f.probed, f.identified, f.compromised), (10, 3, 1));
    assert_eq!(c.compromised, vec!["normal".to_string()]);
}

#[test]
fn samples_without_a_credential_attack_raise_nothing() {
    let Some(dir) = evtx_dir("samples_without_a_credential_attack_raise_nothing") else {
        return;
    };
    let mut noisy = Vec::new();
    for (file, why) in QUIET {
        let r = run(&dir, file);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        assert_eq!(r.stats.rejected, 0, "{file}");
        if !r.alerts.is_empty() {
            noisy.push(format!("{file} ({why}): {:?}", detectors(&r)));
        }
    }
    assert!(noisy.is_empty(), "{}", noisy.join("\n"));
}

#[test]
fn the_binary_prints_no_reader_warnings_over_the_evtx_folder() {
    let Some(dir) = evtx_dir("the_binary_prints_no_reader_warnings_over_the_evtx_folder") else {
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_haboob"))
        .args(["hunt", "--output-format", "jsonl"])
        .arg(&dir)
        .env_remove("HABOOB_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let noisy: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("error:"))
        .collect();
    assert!(noisy.is_empty(), "{noisy:?}");
}
