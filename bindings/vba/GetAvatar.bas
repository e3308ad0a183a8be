Attribute VB_Name = "GetAvatar"
' ==================================================================================================
' getavatar for Excel for Windows (32- and 64-bit, Excel 2010 to 365): GREEN-API getAvatar (MAX,
' v3) as worksheet functions and macros. Not for Excel for Mac or Excel for the web: they cannot
' load a Windows DLL (on a Mac every function says so).
' Reference: bindings/vba/README.md (install, settings, recalculation, what IT must allow).
'
' Install: put the x64\ and x86\ folders (each with getavatar.dll) next to the workbook, or in
' %LOCALAPPDATA%\getavatar\; in the VBA editor: File > Import File... > GetAvatar.bas; save the
' workbook as .xlsm. To update: remove the old module first (right-click GetAvatar > Remove),
' then import (importing over it makes GetAvatar1 and "Ambiguous name detected").
'
' Macros to run from Alt+F8 (none takes parameters):
'   GaSaveToken      asks for apiUrl, idInstance and the token (Windows' masked dialog), keeps the
'                    token in Windows Credential Manager ("getavatar/<idInstance>"), never in a cell
'   GaFillLinks      asks for the id cells and the cells to write the links into; one lookup at a
'                    time, progress in the status bar, Esc stops it, Excel stays responsive
'   GaInsertPictures asks for the id cells and the cells to put the pictures over
'   GaDownloadFiles  asks for the id cells and a folder (and, if you want, cells for the paths)
'   GaDeleteToken    asks which instance's stored token to delete
'   GaDisconnect     frees the connection (run it from Workbook_BeforeClose, see README.md)
' Nothing writes into a cell you did not name.
'
' In cells (a ";" locale writes ";" where these show ","):
'   =GaAvatarUrl(A2)          -> the link, "" when none or A2 is blank, #N/A on failure
'   =GaAvatarError(A2, B2)    -> why B2 shows #N/A ("" when it does not); B2 is the cell to explain
'   =GaAvatarAvailable(A2)    -> TRUE, FALSE, "unknown", or #N/A
'   =GaAvatarUrls(A2:A500)    -> a column of links (spills in 365/2021; Ctrl+Shift+Enter before)
'   =IMAGE(GaAvatarUrl(A2))   -> the picture in the cell (Excel 365)
'   =GaDownloadAvatar(A2, "C:\Avatars\" & A2 & ".jpg") -> the path written, "" when none, or #N/A
'   =GaConnect("https://3100.api.green-api.com", "3100000001") -> "connected" or why not
' A cell showing #N/A tries again on the next recalculation (F9); after a timeout or a network
' failure, cells wait 30 s before trying the network again (GaFillLinks does not wait).
' In your own macros (these raise VBA errors: Err.Number = vbObjectError + 512 + status):
'   url = GaGetAvatar("10000000")
'   GaFillAvatarUrls Range("A2:A500"), Range("C2")     ' links into C2:C500
'   GaInsertAvatars Range("A2:A20"), Range("D2")        ' pictures over D2:D20 (cells unchanged)
'   GaDownloadAvatars Range("A2:A20"), "C:\Avatars"     ' optional 3rd argument: cells for the paths
'   GaSaveTokenFor "https://3100.api.green-api.com", "3100000001"
'   GaDeleteTokenOf "3100000001"
'   GaSetLibraryPath "C:\Tools\getavatar"   ' if the DLL is elsewhere (e.g. in Workbook_Open)
'   GaSetProxy "http://proxy.corp:3128"     ' default "system"; kept for this user on this PC
'   GaSetDeadline 20000                     ' each lookup's total time (default 10 s)
'
' Every Declare below matches include/getavatar.h: pointers are LongPtr (VBA7) or Long (older
' hosts), int32_t is Long. 32-bit DLLs export __stdcall functions, as VBA requires.
' Strings cross as UTF-8: non-ASCII text survives both ways.
' ==================================================================================================
Option Explicit

#If VBA7 Then
Private Declare PtrSafe Function ga_client_new Lib "getavatar.dll" (ByVal apiUrl As LongPtr, ByVal idInstance As LongPtr, ByVal apiTokenInstance As LongPtr) As LongPtr
Private Declare PtrSafe Sub ga_client_free Lib "getavatar.dll" (ByVal client As LongPtr)
Private Declare PtrSafe Function ga_get_avatar Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr) As LongPtr
Private Declare PtrSafe Sub ga_free Lib "getavatar.dll" (ByVal ptr As LongPtr)
Private Declare PtrSafe Function ga_last_error Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Function ga_message Lib "getavatar.dll" (ByVal language As LongPtr, ByVal message As Long, ByVal name As LongPtr, ByVal value As LongPtr, ByVal expected As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_status_name Lib "getavatar.dll" (ByVal status As Long) As LongPtr
Private Declare PtrSafe Function ga_version Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Function ga_client_set_timeout_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_deadline_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_max_retries Lib "getavatar.dll" (ByVal client As LongPtr, ByVal retries As Long) As Long
Private Declare PtrSafe Function ga_client_set_rate_limit Lib "getavatar.dll" (ByVal client As LongPtr, ByVal perSecond As Long) As Long
Private Declare PtrSafe Function ga_client_set_backoff_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_set_concurrency Lib "getavatar.dll" (ByVal client As LongPtr, ByVal n As Long) As Long
Private Declare PtrSafe Function ga_get_avatars Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatIds As LongPtr, ByVal count As Long, ByVal results As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_ca_file Lib "getavatar.dll" (ByVal client As LongPtr, ByVal path As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_trust Lib "getavatar.dll" (ByVal client As LongPtr, ByVal trust As Long) As Long
Private Declare PtrSafe Function ga_client_set_cache_ttl Lib "getavatar.dll" (ByVal client As LongPtr, ByVal seconds As Long) As Long
Private Declare PtrSafe Function ga_client_new_from_env Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Function ga_client_set_user_agent Lib "getavatar.dll" (ByVal client As LongPtr, ByVal userAgent As LongPtr) As Long
Private Declare PtrSafe Function ga_client_set_language Lib "getavatar.dll" (ByVal client As LongPtr, ByVal language As LongPtr) As Long
Private Declare PtrSafe Function ga_client_rate Lib "getavatar.dll" (ByVal client As LongPtr) As Double
Private Declare PtrSafe Function ga_client_set_proxy Lib "getavatar.dll" (ByVal client As LongPtr, ByVal url As LongPtr) As Long
Private Declare PtrSafe Function ga_client_use_env_proxy Lib "getavatar.dll" (ByVal client As LongPtr) As Long
Private Declare PtrSafe Function ga_download_avatar Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal path As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_download_avatar_bytes Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_cancel_new Lib "getavatar.dll" () As LongPtr
Private Declare PtrSafe Sub ga_cancel Lib "getavatar.dll" (ByVal cancel As LongPtr)
Private Declare PtrSafe Sub ga_cancel_free Lib "getavatar.dll" (ByVal cancel As LongPtr)
Private Declare PtrSafe Function ga_get_avatar_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal cancel As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_get_avatars_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatIds As LongPtr, ByVal count As Long, ByVal results As LongPtr, ByVal cancel As LongPtr) As Long
Private Declare PtrSafe Function ga_download_avatar_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal path As LongPtr, ByVal cancel As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_download_avatar_bytes_cancellable Lib "getavatar.dll" (ByVal client As LongPtr, ByVal chatId As LongPtr, ByVal cancel As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_client_set_idle_timeout_ms Lib "getavatar.dll" (ByVal client As LongPtr, ByVal ms As Long) As Long
Private Declare PtrSafe Function ga_client_warm_up Lib "getavatar.dll" (ByVal client As LongPtr) As Long

' The stored token (Windows Credential Manager); keep this group together.
Private Declare PtrSafe Function ga_client_new_from_credential Lib "getavatar.dll" (ByVal apiUrl As LongPtr, ByVal idInstance As LongPtr) As LongPtr
Private Declare PtrSafe Function ga_credential_save Lib "getavatar.dll" (ByVal idInstance As LongPtr, ByVal apiTokenInstance As LongPtr) As Long
Private Declare PtrSafe Function ga_credential_prompt Lib "getavatar.dll" (ByVal idInstance As LongPtr) As Long
Private Declare PtrSafe Function ga_credential_delete Lib "getavatar.dll" (ByVal idInstance As LongPtr) As Long

' Windows itself (kernel32): loading the DLL, UTF-8, memory, and paths through the wide (UTF-16)
' calls, so that a folder outside the system code page (a Cyrillic user name on an English
' Windows) works as well as any other.
Private Declare PtrSafe Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As LongPtr) As LongPtr
Private Declare PtrSafe Function GetModuleHandleW Lib "kernel32" (ByVal lpModuleName As LongPtr) As LongPtr
Private Declare PtrSafe Function lstrlenA Lib "kernel32" (ByVal lpString As LongPtr) As Long
Private Declare PtrSafe Sub RtlMoveMemory Lib "kernel32" (ByVal Destination As LongPtr, ByVal Source As LongPtr, ByVal Length As LongPtr)
Private Declare PtrSafe Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long) As Long
Private Declare PtrSafe Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpDefaultChar As LongPtr, ByVal lpUsedDefaultChar As LongPtr) As Long
Private Declare PtrSafe Function GetFileAttributesW Lib "kernel32" (ByVal lpFileName As LongPtr) As Long
Private Declare PtrSafe Function GetEnvironmentVariableW Lib "kernel32" (ByVal lpName As LongPtr, ByVal lpBuffer As LongPtr, ByVal nSize As Long) As Long
Private Declare PtrSafe Function SetEnvironmentVariableW Lib "kernel32" (ByVal lpName As LongPtr, ByVal lpValue As LongPtr) As Long
Private Declare PtrSafe Function CreateDirectoryW Lib "kernel32" (ByVal lpPathName As LongPtr, ByVal lpSecurityAttributes As LongPtr) As Long
Private Declare PtrSafe Function CreateFileW Lib "kernel32" (ByVal lpFileName As LongPtr, ByVal dwDesiredAccess As Long, ByVal dwShareMode As Long, ByVal lpSecurityAttributes As LongPtr, ByVal dwCreationDisposition As Long, ByVal dwFlagsAndAttributes As Long, ByVal hTemplateFile As LongPtr) As LongPtr
Private Declare PtrSafe Function WriteFile Lib "kernel32" (ByVal hFile As LongPtr, ByVal lpBuffer As LongPtr, ByVal nNumberOfBytesToWrite As Long, ByVal lpNumberOfBytesWritten As LongPtr, ByVal lpOverlapped As LongPtr) As Long
Private Declare PtrSafe Function CloseHandle Lib "kernel32" (ByVal hObject As LongPtr) As Long
Private Declare PtrSafe Function MoveFileExW Lib "kernel32" (ByVal lpExistingFileName As LongPtr, ByVal lpNewFileName As LongPtr, ByVal dwFlags As Long) As Long
Private Declare PtrSafe Function DeleteFileW Lib "kernel32" (ByVal lpFileName As LongPtr) As Long
' This user's settings for this PC: %LOCALAPPDATA%\getavatar\settings.ini.
Private Declare PtrSafe Function GetPrivateProfileStringW Lib "kernel32" (ByVal lpAppName As LongPtr, ByVal lpKeyName As LongPtr, ByVal lpDefault As LongPtr, ByVal lpReturnedString As LongPtr, ByVal nSize As Long, ByVal lpFileName As LongPtr) As Long
Private Declare PtrSafe Function WritePrivateProfileStringW Lib "kernel32" (ByVal lpAppName As LongPtr, ByVal lpKeyName As LongPtr, ByVal lpString As LongPtr, ByVal lpFileName As LongPtr) As Long

' The registry, read only, to find OneDrive's local folders.
Private Declare PtrSafe Function RegOpenKeyExW Lib "advapi32" (ByVal hKey As LongPtr, ByVal lpSubKey As LongPtr, ByVal ulOptions As Long, ByVal samDesired As Long, ByVal phkResult As LongPtr) As Long
Private Declare PtrSafe Function RegEnumKeyExW Lib "advapi32" (ByVal hKey As LongPtr, ByVal dwIndex As Long, ByVal lpName As LongPtr, ByVal lpcchName As LongPtr, ByVal lpReserved As LongPtr, ByVal lpClass As LongPtr, ByVal lpcchClass As LongPtr, ByVal lpftLastWriteTime As LongPtr) As Long
Private Declare PtrSafe Function RegQueryValueExW Lib "advapi32" (ByVal hKey As LongPtr, ByVal lpValueName As LongPtr, ByVal lpReserved As LongPtr, ByVal lpType As LongPtr, ByVal lpData As LongPtr, ByVal lpcbData As LongPtr) As Long
Private Declare PtrSafe Function RegCloseKey Lib "advapi32" (ByVal hKey As LongPtr) As Long
#Else
Private Declare Function ga_client_new Lib "getavatar.dll" (ByVal apiUrl As Long, ByVal idInstance As Long, ByVal apiTokenInstance As Long) As Long
Private Declare Sub ga_client_free Lib "getavatar.dll" (ByVal client As Long)
Private Declare Function ga_get_avatar Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long) As Long
Private Declare Sub ga_free Lib "getavatar.dll" (ByVal ptr As Long)
Private Declare Function ga_last_error Lib "getavatar.dll" () As Long
Private Declare Function ga_message Lib "getavatar.dll" (ByVal language As Long, ByVal message As Long, ByVal name As Long, ByVal value As Long, ByVal expected As Long) As Long
Private Declare Function ga_status_name Lib "getavatar.dll" (ByVal status As Long) As Long
Private Declare Function ga_version Lib "getavatar.dll" () As Long
Private Declare Function ga_client_set_timeout_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_deadline_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_max_retries Lib "getavatar.dll" (ByVal client As Long, ByVal retries As Long) As Long
Private Declare Function ga_client_set_rate_limit Lib "getavatar.dll" (ByVal client As Long, ByVal perSecond As Long) As Long
Private Declare Function ga_client_set_backoff_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_set_concurrency Lib "getavatar.dll" (ByVal client As Long, ByVal n As Long) As Long
Private Declare Function ga_get_avatars Lib "getavatar.dll" (ByVal client As Long, ByVal chatIds As Long, ByVal count As Long, ByVal results As Long) As Long
Private Declare Function ga_client_set_ca_file Lib "getavatar.dll" (ByVal client As Long, ByVal path As Long) As Long
Private Declare Function ga_client_set_trust Lib "getavatar.dll" (ByVal client As Long, ByVal trust As Long) As Long
Private Declare Function ga_client_set_cache_ttl Lib "getavatar.dll" (ByVal client As Long, ByVal seconds As Long) As Long
Private Declare Function ga_client_new_from_env Lib "getavatar.dll" () As Long
Private Declare Function ga_client_set_user_agent Lib "getavatar.dll" (ByVal client As Long, ByVal userAgent As Long) As Long
Private Declare Function ga_client_set_language Lib "getavatar.dll" (ByVal client As Long, ByVal language As Long) As Long
Private Declare Function ga_client_rate Lib "getavatar.dll" (ByVal client As Long) As Double
Private Declare Function ga_client_set_proxy Lib "getavatar.dll" (ByVal client As Long, ByVal url As Long) As Long
Private Declare Function ga_client_use_env_proxy Lib "getavatar.dll" (ByVal client As Long) As Long
Private Declare Function ga_download_avatar Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal path As Long) As Long
Private Declare Function ga_download_avatar_bytes Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long) As Long
Private Declare Function ga_cancel_new Lib "getavatar.dll" () As Long
Private Declare Sub ga_cancel Lib "getavatar.dll" (ByVal cancel As Long)
Private Declare Sub ga_cancel_free Lib "getavatar.dll" (ByVal cancel As Long)
Private Declare Function ga_get_avatar_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal cancel As Long) As Long
Private Declare Function ga_get_avatars_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatIds As Long, ByVal count As Long, ByVal results As Long, ByVal cancel As Long) As Long
Private Declare Function ga_download_avatar_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal path As Long, ByVal cancel As Long) As Long
Private Declare Function ga_download_avatar_bytes_cancellable Lib "getavatar.dll" (ByVal client As Long, ByVal chatId As Long, ByVal cancel As Long) As Long
Private Declare Function ga_client_set_idle_timeout_ms Lib "getavatar.dll" (ByVal client As Long, ByVal ms As Long) As Long
Private Declare Function ga_client_warm_up Lib "getavatar.dll" (ByVal client As Long) As Long

' The stored token (Windows Credential Manager); keep this group together.
Private Declare Function ga_client_new_from_credential Lib "getavatar.dll" (ByVal apiUrl As Long, ByVal idInstance As Long) As Long
Private Declare Function ga_credential_save Lib "getavatar.dll" (ByVal idInstance As Long, ByVal apiTokenInstance As Long) As Long
Private Declare Function ga_credential_prompt Lib "getavatar.dll" (ByVal idInstance As Long) As Long
Private Declare Function ga_credential_delete Lib "getavatar.dll" (ByVal idInstance As Long) As Long

' Windows itself (kernel32): loading the DLL, UTF-8, memory, and paths through the wide (UTF-16)
' calls, so that a folder outside the system code page (a Cyrillic user name on an English
' Windows) works as well as any other.
Private Declare Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As Long) As Long
Private Declare Function GetModuleHandleW Lib "kernel32" (ByVal lpModuleName As Long) As Long
Private Declare Function lstrlenA Lib "kernel32" (ByVal lpString As Long) As Long
Private Declare Sub RtlMoveMemory Lib "kernel32" (ByVal Destination As Long, ByVal Source As Long, ByVal Length As Long)
Private Declare Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As Long, ByVal cbMultiByte As Long, ByVal lpWideCharStr As Long, ByVal cchWideChar As Long) As Long
Private Declare Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As Long, ByVal cchWideChar As Long, ByVal lpMultiByteStr As Long, ByVal cbMultiByte As Long, ByVal lpDefaultChar As Long, ByVal lpUsedDefaultChar As Long) As Long
Private Declare Function GetFileAttributesW Lib "kernel32" (ByVal lpFileName As Long) As Long
Private Declare Function GetEnvironmentVariableW Lib "kernel32" (ByVal lpName As Long, ByVal lpBuffer As Long, ByVal nSize As Long) As Long
Private Declare Function SetEnvironmentVariableW Lib "kernel32" (ByVal lpName As Long, ByVal lpValue As Long) As Long
Private Declare Function CreateDirectoryW Lib "kernel32" (ByVal lpPathName As Long, ByVal lpSecurityAttributes As Long) As Long
Private Declare Function CreateFileW Lib "kernel32" (ByVal lpFileName As Long, ByVal dwDesiredAccess As Long, ByVal dwShareMode As Long, ByVal lpSecurityAttributes As Long, ByVal dwCreationDisposition As Long, ByVal dwFlagsAndAttributes As Long, ByVal hTemplateFile As Long) As Long
Private Declare Function WriteFile Lib "kernel32" (ByVal hFile As Long, ByVal lpBuffer As Long, ByVal nNumberOfBytesToWrite As Long, ByVal lpNumberOfBytesWritten As Long, ByVal lpOverlapped As Long) As Long
Private Declare Function CloseHandle Lib "kernel32" (ByVal hObject As Long) As Long
Private Declare Function MoveFileExW Lib "kernel32" (ByVal lpExistingFileName As Long, ByVal lpNewFileName As Long, ByVal dwFlags As Long) As Long
Private Declare Function DeleteFileW Lib "kernel32" (ByVal lpFileName As Long) As Long
' This user's settings for this PC: %LOCALAPPDATA%\getavatar\settings.ini.
Private Declare Function GetPrivateProfileStringW Lib "kernel32" (ByVal lpAppName As Long, ByVal lpKeyName As Long, ByVal lpDefault As Long, ByVal lpReturnedString As Long, ByVal nSize As Long, ByVal lpFileName As Long) As Long
Private Declare Function WritePrivateProfileStringW Lib "kernel32" (ByVal lpAppName As Long, ByVal lpKeyName As Long, ByVal lpString As Long, ByVal lpFileName As Long) As Long

' The registry, read only, to find OneDrive's local folders.
Private Declare Function RegOpenKeyExW Lib "advapi32" (ByVal hKey As Long, ByVal lpSubKey As Long, ByVal ulOptions As Long, ByVal samDesired As Long, ByVal phkResult As Long) As Long
Private Declare Function RegEnumKeyExW Lib "advapi32" (ByVal hKey As Long, ByVal dwIndex As Long, ByVal lpName As Long, ByVal lpcchName As Long, ByVal lpReserved As Long, ByVal lpClass As Long, ByVal lpcchClass As Long, ByVal lpftLastWriteTime As Long) As Long
Private Declare Function RegQueryValueExW Lib "advapi32" (ByVal hKey As Long, ByVal lpValueName As Long, ByVal lpReserved As Long, ByVal lpType As Long, ByVal lpData As Long, ByVal lpcbData As Long) As Long
Private Declare Function RegCloseKey Lib "advapi32" (ByVal hKey As Long) As Long

' Older hosts have no LongPtr: an Enum is a 32-bit Long, which is what pointers are there.
Private Enum LongPtr
    [_]
End Enum
#End If

Private Const CP_UTF8 As Long = 65001
Private Const DLL_NAME As String = "getavatar.dll"

' Whose roots TLS certificates are verified against (GaSetTrust).
Public Enum GaTrust
    GA_TRUST_SYSTEM = 0   ' the Windows certificate store (default), as MSXML2.XMLHTTP uses
    GA_TRUST_BUNDLED = 1  ' the web roots bundled in the DLL
End Enum
Private Const GA_OK As Long = 0
Private Const GA_ERR_INVALID_ARGUMENT As Long = 1
Private Const GA_ERR_UNAUTHORIZED As Long = 3
Private Const GA_ERR_FORBIDDEN As Long = 4
Private Const GA_ERR_NOT_FOUND As Long = 5
Private Const GA_ERR_QUOTA_EXCEEDED As Long = 7
Private Const GA_ERR_TIMEOUT As Long = 9
Private Const GA_ERR_NETWORK As Long = 10
Private Const GA_ERR_INTERNAL As Long = 12
Private Const GA_ERR_IO As Long = 13
Private Const GA_ERR_CANCELLED As Long = 14

' What a cell shows when a lookup fails: #N/A (xlErrNA), which ISNA, ISERROR and IFERROR see;
' GaAvatarError tells why.
Private Const XL_ERR_NA As Long = 2042

' GaConnect's defaults. The deadline is each call's total budget in the DLL (every attempt,
' backoff, Retry-After and rate-limit wait included; an attempt is cut to what is left, a wait
' that would pass it is not started): one lookup holds Excel for at most about 10 s on any
' network. Timeout and retries keep the DLL's defaults (30 s, 3) inside that budget unless
' GaSetTimeout / GaSetMaxRetries change them.
Private Const VBA_DEADLINE_MS As Long = 10000
Private Const VBA_CACHE_TTL_S As Long = 600
Private Const VBA_CONCURRENCY As Long = 4
' GaAvatarUrls calls the DLL for this many ids at a time, then updates the status bar and lets
' Esc stop it.
Private Const CHUNK As Long = 16
' After a timeout or a network failure in a cell, cells do not try the network for this long.
Private Const NET_PAUSE_S As Long = 30

' The workbook's settings: custom document properties named "getavatar.<setting>". Settings
' that belong to a PC (proxy, CA file, trust) are kept per user instead, in
' %LOCALAPPDATA%\getavatar\settings.ini, section [settings].
Private Const SETTING_PREFIX As String = "getavatar."
Private Const MSO_PROPERTY_TYPE_STRING As Long = 4
Private Const USER_SETTINGS As String = "\getavatar\settings.ini"

Private Const HKEY_CURRENT_USER As Long = &H80000001
Private Const KEY_READ As Long = &H20019
Private Const REG_SZ As Long = 1
Private Const INVALID_FILE_ATTRIBUTES As Long = -1
Private Const FILE_ATTRIBUTE_DIRECTORY As Long = 16
Private Const GENERIC_WRITE As Long = &H40000000
Private Const CREATE_ALWAYS As Long = 2
Private Const MOVEFILE_REPLACE_EXISTING As Long = 1
Private Const XL_DISABLED As Long = 0
Private Const XL_ERROR_HANDLER As Long = 2
Private Const VBA_ERR_ESC As Long = 18

' Offsets of the GaAvatar fields (include/getavatar.h): three int32_t, then two pointers.
' GaAvatarImage starts the same way, then data (pointer), size (size_t) and content_type (pointer).
#If Win64 Then
Private Const PTR_SIZE As Long = 8
Private Const OFFSET_URL_AVATAR As Long = 16
Private Const OFFSET_ERROR As Long = 24
Private Const OFFSET_DATA As Long = 32
Private Const OFFSET_SIZE As Long = 40
Private Const OFFSET_CONTENT_TYPE As Long = 48
Private Const ARCH As String = "x64"
#Else
Private Const PTR_SIZE As Long = 4
Private Const OFFSET_URL_AVATAR As Long = 12
Private Const OFFSET_ERROR As Long = 16
Private Const OFFSET_DATA As Long = 20
Private Const OFFSET_SIZE As Long = 24
Private Const OFFSET_CONTENT_TYPE As Long = 28
Private Const ARCH As String = "x86"
#End If
Private Const OFFSET_STATUS As Long = 0
Private Const OFFSET_HTTP_STATUS As Long = 4
Private Const OFFSET_AVAILABLE As Long = 8

' ------------------------------------------------------------------------------------------------
' Every text a user reads, in one place. %1, %2, ... are filled in by Fmt. In a Russian Excel each
' is shown in its Russian form (RU_ below): Fmt, ErrText and the dialogs pass texts through Tr.
' ------------------------------------------------------------------------------------------------
Private Const MSG_WINDOWS_ONLY As String = "getavatar works only in Excel for Windows: getavatar.dll is a Windows library, which Excel for Mac cannot load"
Private Const MSG_NOT_CONNECTED As String = "not connected: run the macro GaSaveToken once (Alt+F8), or call GaConnect(apiUrl, idInstance)"
Private Const MSG_DLL_NOT_FOUND As String = "getavatar.dll not found or not loadable; tried:%1 put the x64 and x86 folders next to the workbook or in %LOCALAPPDATA%\getavatar, or call GaSetLibraryPath"
Private Const MSG_TRIED As String = " %1 (%2);"
Private Const MSG_NO_FILE As String = "not found"
Private Const MSG_WEB_ONLY As String = "a web address with no synced local folder"
Private Const MSG_LOAD_193 As String = "not a %1 DLL (Windows error 193): this Excel is %2-bit; use the DLL in the %1 folder"
Private Const MSG_LOAD_126 As String = "a file it needs is missing (Windows error 126): getavatar.dll needs Windows 10 or later"
Private Const MSG_LOAD_127 As String = "a Windows function it needs is missing (Windows error 127): getavatar.dll needs Windows 10 or later"
Private Const MSG_LOAD_1260 As String = "blocked by a group policy (Windows error 1260, AppLocker or WDAC): ask IT to allow getavatar.dll in this folder"
Private Const MSG_LOAD_5 As String = "access denied (Windows error 5)"
Private Const MSG_LOAD_OTHER As String = "could not be loaded (Windows error %1)"
Private Const MSG_ESC As String = "stopped with Esc"
Private Const MSG_VBA_ERROR As String = "VBA error %1: %2"
Private Const MSG_DLL_CALL_FAILED As String = "VBA error %1 calling Windows or getavatar.dll (%2); macros may be blocked from calling DLLs (see README.md, For IT departments)"
Private Const MSG_EXCEL_ERROR As String = "the chat id is the Excel error %1: fix the cell it comes from"
Private Const MSG_ONE_CELL As String = "the chat id must be one cell; for a range use GaAvatarUrls"
Private Const MSG_NOT_SENT As String = "%1 (not sent: an earlier lookup met this failure, which every lookup of the instance meets)"
' How the DLL's message of a timeout that reached no server begins (after its last-attempt mark).
Private Const DLL_LAST_ATTEMPT As String = "; the last attempt: "
Private Const DLL_NO_CONNECTION As String = "could not connect to "
Private Const DLL_SILENT_PROXY As String = "the proxy "
Private Const MSG_PAUSED As String = "not tried: a lookup failed at %1 (%2); cells try the network again after %3 s, or run GaFillLinks (Alt+F8)"
Private Const MSG_SETTING_FAILED As String = "the setting %1 kept %2: %3"
Private Const MSG_IN_WORKBOOK As String = "in the workbook"
Private Const MSG_FOR_USER As String = "for this user in %1"
Private Const MSG_NOT_KEPT As String = "applied now, but not kept %1: %2"
Private Const MSG_NO_USER_FOLDER As String = "LOCALAPPDATA is not set"
Private Const MSG_CONNECTED As String = "connected"
Private Const MSG_CONNECTED_NOT_KEPT As String = "connected (%1; run GaSaveToken to keep it)"
Private Const MSG_WRITE_FAILED As String = "could not write %1 (Windows error %2)"
Private Const MSG_ASK_API_URL As String = "apiUrl from your GREEN-API console:"
Private Const MSG_ASK_ID_INSTANCE As String = "idInstance:"
Private Const MSG_ASK_TOKEN As String = "apiTokenInstance of %1:%2%2WARNING: this box shows what you type (%3). The token is kept in Windows Credential Manager, never in the workbook."
Private Const MSG_TOKEN_STORED As String = "Token stored as getavatar/%1 in Windows Credential Manager.%2%3"
Private Const MSG_ASK_DELETE As String = "Delete the stored token of which idInstance?"
Private Const MSG_TOKEN_DELETED As String = "The stored token getavatar/%1 was deleted."
Private Const MSG_ASK_IDS As String = "Select the cells with the chat ids:"
Private Const MSG_ASK_LINK_CELLS As String = "Select the first cell to write the links into (the links fill as many cells as there are ids, in the same shape):"
Private Const MSG_ASK_PICTURE_CELLS As String = "Select the first cell to put the pictures over (the cells' contents stay):"
Private Const MSG_ASK_FOLDER As String = "Folder to save the pictures in (each as <chat id>.jpg, .png, ...):"
Private Const MSG_ASK_PATH_CELLS As String = "Optional: select the first cell to write each file's path into, or Cancel for none:"
Private Const MSG_OVERWRITE As String = "%1 holds %2 value(s) or formula(s). Replace them? A macro cannot be undone."
Private Const MSG_OVERLAP As String = "the cells to write into (%1) overlap the chat ids (%2)"
Private Const MSG_ONE_AREA As String = "select one block of cells, not several"
Private Const MSG_NO_DEST As String = "name the cells to write into (a range, not Nothing)"
Private Const MSG_RUN_DONE As String = "%1 of %2 done: %3 with an avatar, %4 without, %5 failed."
Private Const MSG_RUN_STOPPED As String = "Stopped with Esc after %1 of %2."
Private Const MSG_RUN_FAILURES As String = "%1 of %2 failed:%3"
Private Const MSG_PROGRESS As String = "getavatar: %1 %2 of %3 (Esc stops)"
Private Const MSG_LINKS As String = "links"
Private Const MSG_PICTURES As String = "pictures"
Private Const MSG_DOWNLOADS As String = "downloads"
Private Const MSG_UNKNOWN As String = "unknown"
Private Const MSG_OUT_OF_MEMORY As String = "out of memory"
' Their Russian forms, for an Excel whose UI language is Russian (Tr picks one). The module is
' read in the system's ANSI code page, so each Cyrillic letter is written \uXXXX (Unescape).
Private Const RU_WINDOWS_ONLY As String = "getavatar \u0440\u0430\u0431\u043E\u0442\u0430\u0435\u0442 \u0442\u043E\u043B\u044C\u043A\u043E \u0432 Excel \u0434\u043B\u044F Windows: getavatar.dll - \u0431\u0438\u0431\u043B\u0438\u043E\u0442\u0435\u043A\u0430 Windows, \u043A\u043E\u0442\u043E\u0440\u0443\u044E Excel \u0434\u043B\u044F Mac \u0437\u0430\u0433\u0440\u0443\u0437\u0438\u0442\u044C \u043D\u0435 \u043C\u043E\u0436\u0435\u0442"
Private Const RU_NOT_CONNECTED As String = "\u043D\u0435\u0442 \u043F\u043E\u0434\u043A\u043B\u044E\u0447\u0435\u043D\u0438\u044F: \u043E\u0434\u0438\u043D \u0440\u0430\u0437 \u0437\u0430\u043F\u0443\u0441\u0442\u0438\u0442\u0435 \u043C\u0430\u043A\u0440\u043E\u0441 GaSaveToken (Alt+F8) \u0438\u043B\u0438 \u0432\u044B\u0437\u043E\u0432\u0438\u0442\u0435 GaConnect(apiUrl, idInstance)"
Private Const RU_DLL_NOT_FOUND As String = "getavatar.dll \u043D\u0435 \u043D\u0430\u0439\u0434\u0435\u043D\u0430 \u0438\u043B\u0438 \u043D\u0435 \u0437\u0430\u0433\u0440\u0443\u0436\u0430\u0435\u0442\u0441\u044F; \u043F\u0440\u043E\u0432\u0435\u0440\u0435\u043D\u043E:%1 \u043F\u043E\u043B\u043E\u0436\u0438\u0442\u0435 \u043F\u0430\u043F\u043A\u0438 x64 \u0438 x86 \u0440\u044F\u0434\u043E\u043C \u0441 \u043A\u043D\u0438\u0433\u043E\u0439 \u0438\u043B\u0438 \u0432 %LOCALAPPDATA%\getavatar \u043B\u0438\u0431\u043E \u0432\u044B\u0437\u043E\u0432\u0438\u0442\u0435 GaSetLibraryPath"
Private Const RU_TRIED As String = " %1 (%2);"
Private Const RU_NO_FILE As String = "\u043D\u0435 \u043D\u0430\u0439\u0434\u0435\u043D\u043E"
Private Const RU_WEB_ONLY As String = "\u0432\u0435\u0431-\u0430\u0434\u0440\u0435\u0441 \u0431\u0435\u0437 \u0441\u0438\u043D\u0445\u0440\u043E\u043D\u0438\u0437\u0438\u0440\u043E\u0432\u0430\u043D\u043D\u043E\u0439 \u043B\u043E\u043A\u0430\u043B\u044C\u043D\u043E\u0439 \u043F\u0430\u043F\u043A\u0438"
Private Const RU_LOAD_193 As String = "\u043D\u0435 DLL \u0434\u043B\u044F %1 (\u043E\u0448\u0438\u0431\u043A\u0430 Windows 193): \u044D\u0442\u043E\u0442 Excel %2-\u0440\u0430\u0437\u0440\u044F\u0434\u043D\u044B\u0439; \u0438\u0441\u043F\u043E\u043B\u044C\u0437\u0443\u0439\u0442\u0435 DLL \u0438\u0437 \u043F\u0430\u043F\u043A\u0438 %1"
Private Const RU_LOAD_126 As String = "\u043D\u0435\u0442 \u043D\u0443\u0436\u043D\u043E\u0433\u043E \u0435\u0439 \u0444\u0430\u0439\u043B\u0430 (\u043E\u0448\u0438\u0431\u043A\u0430 Windows 126): getavatar.dll \u0442\u0440\u0435\u0431\u0443\u0435\u0442 Windows 10 \u0438\u043B\u0438 \u043D\u043E\u0432\u0435\u0435"
Private Const RU_LOAD_127 As String = "\u043D\u0435\u0442 \u043D\u0443\u0436\u043D\u043E\u0439 \u0435\u0439 \u0444\u0443\u043D\u043A\u0446\u0438\u0438 Windows (\u043E\u0448\u0438\u0431\u043A\u0430 Windows 127): getavatar.dll \u0442\u0440\u0435\u0431\u0443\u0435\u0442 Windows 10 \u0438\u043B\u0438 \u043D\u043E\u0432\u0435\u0435"
Private Const RU_LOAD_1260 As String = "\u0437\u0430\u0431\u043B\u043E\u043A\u0438\u0440\u043E\u0432\u0430\u043D\u043E \u0433\u0440\u0443\u043F\u043F\u043E\u0432\u043E\u0439 \u043F\u043E\u043B\u0438\u0442\u0438\u043A\u043E\u0439 (\u043E\u0448\u0438\u0431\u043A\u0430 Windows 1260, AppLocker \u0438\u043B\u0438 WDAC): \u043F\u043E\u043F\u0440\u043E\u0441\u0438\u0442\u0435 \u0418\u0422-\u043E\u0442\u0434\u0435\u043B \u0440\u0430\u0437\u0440\u0435\u0448\u0438\u0442\u044C getavatar.dll \u0432 \u044D\u0442\u043E\u0439 \u043F\u0430\u043F\u043A\u0435"
Private Const RU_LOAD_5 As String = "\u0434\u043E\u0441\u0442\u0443\u043F \u0437\u0430\u043F\u0440\u0435\u0449\u0451\u043D (\u043E\u0448\u0438\u0431\u043A\u0430 Windows 5)"
Private Const RU_LOAD_OTHER As String = "\u043D\u0435 \u0443\u0434\u0430\u043B\u043E\u0441\u044C \u0437\u0430\u0433\u0440\u0443\u0437\u0438\u0442\u044C (\u043E\u0448\u0438\u0431\u043A\u0430 Windows %1)"
Private Const RU_ESC As String = "\u043E\u0441\u0442\u0430\u043D\u043E\u0432\u043B\u0435\u043D\u043E \u043A\u043B\u0430\u0432\u0438\u0448\u0435\u0439 Esc"
Private Const RU_VBA_ERROR As String = "\u043E\u0448\u0438\u0431\u043A\u0430 VBA %1: %2"
Private Const RU_DLL_CALL_FAILED As String = "\u043E\u0448\u0438\u0431\u043A\u0430 VBA %1 \u043F\u0440\u0438 \u0432\u044B\u0437\u043E\u0432\u0435 Windows \u0438\u043B\u0438 getavatar.dll (%2); \u0432\u043E\u0437\u043C\u043E\u0436\u043D\u043E, \u043C\u0430\u043A\u0440\u043E\u0441\u0430\u043C \u0437\u0430\u043F\u0440\u0435\u0449\u0435\u043D\u043E \u0432\u044B\u0437\u044B\u0432\u0430\u0442\u044C DLL (\u0441\u043C. README.md, \u0440\u0430\u0437\u0434\u0435\u043B For IT departments)"
Private Const RU_EXCEL_ERROR As String = "\u0438\u0434\u0435\u043D\u0442\u0438\u0444\u0438\u043A\u0430\u0442\u043E\u0440 \u0447\u0430\u0442\u0430 - \u043E\u0448\u0438\u0431\u043A\u0430 Excel %1: \u0438\u0441\u043F\u0440\u0430\u0432\u044C\u0442\u0435 \u044F\u0447\u0435\u0439\u043A\u0443, \u0438\u0437 \u043A\u043E\u0442\u043E\u0440\u043E\u0439 \u043E\u043D \u0431\u0435\u0440\u0451\u0442\u0441\u044F"
Private Const RU_ONE_CELL As String = "\u0438\u0434\u0435\u043D\u0442\u0438\u0444\u0438\u043A\u0430\u0442\u043E\u0440 \u0447\u0430\u0442\u0430 \u0434\u043E\u043B\u0436\u0435\u043D \u0431\u044B\u0442\u044C \u043E\u0434\u043D\u043E\u0439 \u044F\u0447\u0435\u0439\u043A\u043E\u0439; \u0434\u043B\u044F \u0434\u0438\u0430\u043F\u0430\u0437\u043E\u043D\u0430 \u0438\u0441\u043F\u043E\u043B\u044C\u0437\u0443\u0439\u0442\u0435 GaAvatarUrls"
Private Const RU_PAUSED As String = "\u043D\u0435 \u0437\u0430\u043F\u0440\u0430\u0448\u0438\u0432\u0430\u043B\u043E\u0441\u044C: \u0437\u0430\u043F\u0440\u043E\u0441 \u043D\u0435 \u0443\u0434\u0430\u043B\u0441\u044F \u0432 %1 (%2); \u044F\u0447\u0435\u0439\u043A\u0438 \u0441\u043D\u043E\u0432\u0430 \u043E\u0431\u0440\u0430\u0442\u044F\u0442\u0441\u044F \u043A \u0441\u0435\u0442\u0438 \u0447\u0435\u0440\u0435\u0437 %3 \u0441, \u0438\u043B\u0438 \u0437\u0430\u043F\u0443\u0441\u0442\u0438\u0442\u0435 GaFillLinks (Alt+F8)"
Private Const RU_SETTING_FAILED As String = "\u043D\u0430\u0441\u0442\u0440\u043E\u0439\u043A\u0430 %1, \u0441\u043E\u0445\u0440\u0430\u043D\u0451\u043D\u043D\u0430\u044F %2: %3"
Private Const RU_IN_WORKBOOK As String = "\u0432 \u043A\u043D\u0438\u0433\u0435"
Private Const RU_FOR_USER As String = "\u0434\u043B\u044F \u044D\u0442\u043E\u0433\u043E \u043F\u043E\u043B\u044C\u0437\u043E\u0432\u0430\u0442\u0435\u043B\u044F \u0432 %1"
Private Const RU_NOT_KEPT As String = "\u043F\u0440\u0438\u043C\u0435\u043D\u0435\u043D\u043E \u0441\u0435\u0439\u0447\u0430\u0441, \u043D\u043E \u043D\u0435 \u0441\u043E\u0445\u0440\u0430\u043D\u0435\u043D\u043E %1: %2"
Private Const RU_NO_USER_FOLDER As String = "\u043F\u0435\u0440\u0435\u043C\u0435\u043D\u043D\u0430\u044F LOCALAPPDATA \u043D\u0435 \u0437\u0430\u0434\u0430\u043D\u0430"
Private Const RU_CONNECTED As String = "\u043F\u043E\u0434\u043A\u043B\u044E\u0447\u0435\u043D\u043E"
Private Const RU_CONNECTED_NOT_KEPT As String = "\u043F\u043E\u0434\u043A\u043B\u044E\u0447\u0435\u043D\u043E (%1; \u0437\u0430\u043F\u0443\u0441\u0442\u0438\u0442\u0435 GaSaveToken, \u0447\u0442\u043E\u0431\u044B \u0441\u043E\u0445\u0440\u0430\u043D\u0438\u0442\u044C)"
Private Const RU_WRITE_FAILED As String = "\u043D\u0435 \u0443\u0434\u0430\u043B\u043E\u0441\u044C \u0437\u0430\u043F\u0438\u0441\u0430\u0442\u044C %1 (\u043E\u0448\u0438\u0431\u043A\u0430 Windows %2)"
Private Const RU_ASK_API_URL As String = "apiUrl \u0438\u0437 \u0432\u0430\u0448\u0435\u0439 \u043A\u043E\u043D\u0441\u043E\u043B\u0438 GREEN-API:"
Private Const RU_ASK_ID_INSTANCE As String = "idInstance:"
Private Const RU_ASK_TOKEN As String = "apiTokenInstance \u0434\u043B\u044F %1:%2%2\u0412\u041D\u0418\u041C\u0410\u041D\u0418\u0415: \u044D\u0442\u043E \u043E\u043A\u043D\u043E \u043F\u043E\u043A\u0430\u0437\u044B\u0432\u0430\u0435\u0442 \u0432\u0432\u043E\u0434\u0438\u043C\u044B\u0439 \u0442\u0435\u043A\u0441\u0442 (%3). \u0422\u043E\u043A\u0435\u043D \u0445\u0440\u0430\u043D\u0438\u0442\u0441\u044F \u0432 \u0434\u0438\u0441\u043F\u0435\u0442\u0447\u0435\u0440\u0435 \u0443\u0447\u0451\u0442\u043D\u044B\u0445 \u0434\u0430\u043D\u043D\u044B\u0445 Windows, \u0430 \u043D\u0435 \u0432 \u043A\u043D\u0438\u0433\u0435."
Private Const RU_TOKEN_STORED As String = "\u0422\u043E\u043A\u0435\u043D \u0441\u043E\u0445\u0440\u0430\u043D\u0451\u043D \u043A\u0430\u043A getavatar/%1 \u0432 \u0434\u0438\u0441\u043F\u0435\u0442\u0447\u0435\u0440\u0435 \u0443\u0447\u0451\u0442\u043D\u044B\u0445 \u0434\u0430\u043D\u043D\u044B\u0445 Windows.%2%3"
Private Const RU_ASK_DELETE As String = "\u0423\u0434\u0430\u043B\u0438\u0442\u044C \u0441\u043E\u0445\u0440\u0430\u043D\u0451\u043D\u043D\u044B\u0439 \u0442\u043E\u043A\u0435\u043D \u043A\u0430\u043A\u043E\u0433\u043E idInstance?"
Private Const RU_TOKEN_DELETED As String = "\u0421\u043E\u0445\u0440\u0430\u043D\u0451\u043D\u043D\u044B\u0439 \u0442\u043E\u043A\u0435\u043D getavatar/%1 \u0443\u0434\u0430\u043B\u0451\u043D."
Private Const RU_ASK_IDS As String = "\u0412\u044B\u0434\u0435\u043B\u0438\u0442\u0435 \u044F\u0447\u0435\u0439\u043A\u0438 \u0441 \u0438\u0434\u0435\u043D\u0442\u0438\u0444\u0438\u043A\u0430\u0442\u043E\u0440\u0430\u043C\u0438 \u0447\u0430\u0442\u043E\u0432:"
Private Const RU_ASK_LINK_CELLS As String = "\u0412\u044B\u0434\u0435\u043B\u0438\u0442\u0435 \u043F\u0435\u0440\u0432\u0443\u044E \u044F\u0447\u0435\u0439\u043A\u0443 \u0434\u043B\u044F \u0441\u0441\u044B\u043B\u043E\u043A (\u0441\u0441\u044B\u043B\u043A\u0438 \u0437\u0430\u0439\u043C\u0443\u0442 \u0441\u0442\u043E\u043B\u044C\u043A\u043E \u044F\u0447\u0435\u0435\u043A, \u0441\u043A\u043E\u043B\u044C\u043A\u043E \u0438\u0434\u0435\u043D\u0442\u0438\u0444\u0438\u043A\u0430\u0442\u043E\u0440\u043E\u0432, \u0432 \u0442\u043E\u0439 \u0436\u0435 \u0444\u043E\u0440\u043C\u0435):"
Private Const RU_ASK_PICTURE_CELLS As String = "\u0412\u044B\u0434\u0435\u043B\u0438\u0442\u0435 \u043F\u0435\u0440\u0432\u0443\u044E \u044F\u0447\u0435\u0439\u043A\u0443, \u043F\u043E\u0432\u0435\u0440\u0445 \u043A\u043E\u0442\u043E\u0440\u043E\u0439 \u043F\u043E\u0441\u0442\u0430\u0432\u0438\u0442\u044C \u0438\u0437\u043E\u0431\u0440\u0430\u0436\u0435\u043D\u0438\u044F (\u0441\u043E\u0434\u0435\u0440\u0436\u0438\u043C\u043E\u0435 \u044F\u0447\u0435\u0435\u043A \u043E\u0441\u0442\u0430\u043D\u0435\u0442\u0441\u044F):"
Private Const RU_ASK_FOLDER As String = "\u041F\u0430\u043F\u043A\u0430 \u0434\u043B\u044F \u0441\u043E\u0445\u0440\u0430\u043D\u0435\u043D\u0438\u044F \u0438\u0437\u043E\u0431\u0440\u0430\u0436\u0435\u043D\u0438\u0439 (\u043A\u0430\u0436\u0434\u043E\u0435 \u043A\u0430\u043A <\u0438\u0434\u0435\u043D\u0442\u0438\u0444\u0438\u043A\u0430\u0442\u043E\u0440 \u0447\u0430\u0442\u0430>.jpg, .png, ...):"
Private Const RU_ASK_PATH_CELLS As String = "\u041D\u0435\u043E\u0431\u044F\u0437\u0430\u0442\u0435\u043B\u044C\u043D\u043E: \u0432\u044B\u0434\u0435\u043B\u0438\u0442\u0435 \u043F\u0435\u0440\u0432\u0443\u044E \u044F\u0447\u0435\u0439\u043A\u0443 \u0434\u043B\u044F \u043F\u0443\u0442\u0438 \u043A \u043A\u0430\u0436\u0434\u043E\u043C\u0443 \u0444\u0430\u0439\u043B\u0443 \u0438\u043B\u0438 \u043D\u0430\u0436\u043C\u0438\u0442\u0435 \u041E\u0442\u043C\u0435\u043D\u0430:"
Private Const RU_OVERWRITE As String = "\u0412 %1 \u0435\u0441\u0442\u044C \u0437\u043D\u0430\u0447\u0435\u043D\u0438\u044F \u0438\u043B\u0438 \u0444\u043E\u0440\u043C\u0443\u043B\u044B (%2). \u0417\u0430\u043C\u0435\u043D\u0438\u0442\u044C \u0438\u0445? \u0414\u0435\u0439\u0441\u0442\u0432\u0438\u0435 \u043C\u0430\u043A\u0440\u043E\u0441\u0430 \u043D\u0435\u043B\u044C\u0437\u044F \u043E\u0442\u043C\u0435\u043D\u0438\u0442\u044C."
Private Const RU_OVERLAP As String = "\u044F\u0447\u0435\u0439\u043A\u0438 \u0434\u043B\u044F \u0437\u0430\u043F\u0438\u0441\u0438 (%1) \u043F\u0435\u0440\u0435\u0441\u0435\u043A\u0430\u044E\u0442\u0441\u044F \u0441 \u0438\u0434\u0435\u043D\u0442\u0438\u0444\u0438\u043A\u0430\u0442\u043E\u0440\u0430\u043C\u0438 \u0447\u0430\u0442\u043E\u0432 (%2)"
Private Const RU_ONE_AREA As String = "\u0432\u044B\u0434\u0435\u043B\u0438\u0442\u0435 \u043E\u0434\u0438\u043D \u0431\u043B\u043E\u043A \u044F\u0447\u0435\u0435\u043A, \u0430 \u043D\u0435 \u043D\u0435\u0441\u043A\u043E\u043B\u044C\u043A\u043E"
Private Const RU_NO_DEST As String = "\u0443\u043A\u0430\u0436\u0438\u0442\u0435 \u044F\u0447\u0435\u0439\u043A\u0438 \u0434\u043B\u044F \u0437\u0430\u043F\u0438\u0441\u0438 (\u0434\u0438\u0430\u043F\u0430\u0437\u043E\u043D, \u0430 \u043D\u0435 Nothing)"
Private Const RU_RUN_DONE As String = "\u0413\u043E\u0442\u043E\u0432\u043E %1 \u0438\u0437 %2: \u0441 \u0430\u0432\u0430\u0442\u0430\u0440\u043E\u043C %3, \u0431\u0435\u0437 \u0430\u0432\u0430\u0442\u0430\u0440\u0430 %4, \u0441 \u043E\u0448\u0438\u0431\u043A\u043E\u0439 %5."
Private Const RU_RUN_STOPPED As String = "\u041E\u0441\u0442\u0430\u043D\u043E\u0432\u043B\u0435\u043D\u043E \u043A\u043B\u0430\u0432\u0438\u0448\u0435\u0439 Esc \u043F\u043E\u0441\u043B\u0435 %1 \u0438\u0437 %2."
Private Const RU_RUN_FAILURES As String = "\u0421 \u043E\u0448\u0438\u0431\u043A\u043E\u0439 %1 \u0438\u0437 %2:%3"
Private Const RU_PROGRESS As String = "getavatar: %1 %2 \u0438\u0437 %3 (Esc - \u043E\u0441\u0442\u0430\u043D\u043E\u0432\u0438\u0442\u044C)"
Private Const RU_LINKS As String = "\u0441\u0441\u044B\u043B\u043A\u0438"
Private Const RU_PICTURES As String = "\u0438\u0437\u043E\u0431\u0440\u0430\u0436\u0435\u043D\u0438\u044F"
Private Const RU_DOWNLOADS As String = "\u0437\u0430\u0433\u0440\u0443\u0437\u043A\u0438"
Private Const RU_UNKNOWN As String = "\u043D\u0435\u0438\u0437\u0432\u0435\u0441\u0442\u043D\u043E"
Private Const RU_NOT_SENT As String = "%1 (\u043D\u0435 \u043E\u0442\u043F\u0440\u0430\u0432\u043B\u0435\u043D\u043E: \u0431\u043E\u043B\u0435\u0435 \u0440\u0430\u043D\u043D\u0438\u0439 \u0437\u0430\u043F\u0440\u043E\u0441 \u0432\u0441\u0442\u0440\u0435\u0442\u0438\u043B \u044D\u0442\u043E\u0442 \u0441\u0431\u043E\u0439, \u0430 \u0435\u0433\u043E \u0432\u0441\u0442\u0440\u0435\u0447\u0430\u0435\u0442 \u043A\u0430\u0436\u0434\u044B\u0439 \u0437\u0430\u043F\u0440\u043E\u0441 \u0438\u043D\u0441\u0442\u0430\u043D\u0441\u0430)"
Private Const RU_OUT_OF_MEMORY As String = "\u043D\u0435 \u0445\u0432\u0430\u0442\u0430\u0435\u0442 \u043F\u0430\u043C\u044F\u0442\u0438"

Private mClient As LongPtr
' Excel's UI language: 0 not asked yet, 1 not Russian, 2 Russian (see RussianUi).
Private mUiLanguage As Integer
Private mKey As String
Private mLibraryPath As String
Private mLoaded As Boolean
' Why each chat id's last lookup failed ("" when it did not), for GaAvatarError.
Private mReasons As Collection
' Cells do not try the network before this time (after a timeout or network failure).
Private mPauseUntil As Date
Private mPauseAt As Date
Private mPauseStatus As Long
Private mPauseWhy As String
' HoldEsc's nesting and the EnableCancelKey it found.
Private mHoldDepth As Long
Private mHeldKey As Long
' A macro's run over many cells: counts and the first failures, for its summary.
Private mRunTotal As Long
Private mRunDone As Long
Private mRunWith As Long
Private mRunWithout As Long
Private mRunFailed As Long
Private mRunFailures As String
Private mRunFirstStatus As Long

' One lookup's result, copied out of the DLL's memory.
Private Type GaResult
    Status As Long
    HttpStatus As Long
    Available As Long
    Url As String
    Message As String
    Blank As Boolean        ' the chat id was blank: nothing looked up, the cell shows ""
End Type

' ------------------------------------------------------------------------------------------------
' Connecting
' ------------------------------------------------------------------------------------------------

' Where getavatar.dll is: a folder or the DLL's full path. Call before the first lookup (e.g. in
' Workbook_Open). After a VBA reset the module finds the DLL already loaded by its name.
Public Sub GaSetLibraryPath(ByVal folderOrFile As String)
    mLibraryPath = folderOrFile
End Sub

' Macro (Alt+F8): asks for apiUrl and idInstance, then for the token in Windows' own credential
' dialog (the token field is masked), stores it in Windows Credential Manager (generic credential
' "getavatar/<idInstance>"; never in the workbook), keeps apiUrl and idInstance in the workbook,
' and connects. Only when that dialog cannot be shown does it fall back to VBA's InputBox, which
' shows what is typed, with a warning (or use cmdkey; see README.md).
Public Sub GaSaveToken()
    Dim apiUrl As String, idInstance As String
    apiUrl = InputBox(Tr(MSG_ASK_API_URL), "getavatar", Setting("apiUrl", "https://3100.api.green-api.com"))
    If Len(apiUrl) = 0 Then Exit Sub
    idInstance = InputBox(Tr(MSG_ASK_ID_INSTANCE), "getavatar", Setting("idInstance", ""))
    If Len(idInstance) = 0 Then Exit Sub
    GaSaveTokenFor apiUrl, idInstance
End Sub

' GaSaveToken for a given apiUrl and idInstance (from the Immediate window or your own macro):
' asks only for the token.
Public Sub GaSaveTokenFor(ByVal apiUrl As String, ByVal idInstance As String)
    Dim token As String, why As String, st As Long, i() As Byte, t() As Byte
    why = EnsureLoaded()
    If Len(why) > 0 Then
        MsgBox Tr(why), vbExclamation, "getavatar"
        Exit Sub
    End If
    ' Windows' credential dialog: the token typed into a masked field, stored by the DLL.
    i = ToUtf8(idInstance)
    st = ga_credential_prompt(VarPtr(i(0)))
    If st = GA_ERR_CANCELLED Then Exit Sub
    ' OK on an empty field or a token that is not valid is GA_ERR_INVALID_ARGUMENT: said below.
    If st = GA_ERR_IO Then
        ' No dialog could be shown (LastError says why): VBA's InputBox, which cannot mask.
        token = InputBox(Fmt(MSG_ASK_TOKEN, idInstance, vbCrLf, LastError()), "getavatar")
        If Len(token) = 0 Then Exit Sub
        t = ToUtf8(token)
        token = ""
        st = ga_credential_save(VarPtr(i(0)), VarPtr(t(0)))
        Erase t
    End If
    If st <> GA_OK Then
        MsgBox ErrText(st, LastError()), vbExclamation, "getavatar"
        Exit Sub
    End If
    GaDisconnect
    MsgBox Fmt(MSG_TOKEN_STORED, idInstance, vbCrLf, GaConnect(apiUrl, idInstance)), vbInformation, "getavatar"
End Sub

' Macro (Alt+F8): asks which instance's stored token to delete (the workbook's by default),
' deletes it and says so. The workbook's settings stay.
Public Sub GaDeleteToken()
    Dim idInstance As String
    idInstance = InputBox(Tr(MSG_ASK_DELETE), "getavatar", Setting("idInstance", ""))
    If Len(idInstance) = 0 Then Exit Sub
    On Error GoTo Failed
    GaDeleteTokenOf idInstance
    MsgBox Fmt(MSG_TOKEN_DELETED, idInstance), vbInformation, "getavatar"
    Exit Sub
Failed:
    MsgBox Err.Description, vbExclamation, "getavatar"
End Sub

' Deletes the stored token of an instance; raises a VBA error when there is none or it fails.
' From the Immediate window (Ctrl+G): GaDeleteTokenOf "3100000001"
Public Sub GaDeleteTokenOf(ByVal idInstance As String)
    Dim why As String, st As Long, i() As Byte
    why = EnsureLoaded()
    If Len(why) > 0 Then Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", why
    i = ToUtf8(idInstance)
    st = ga_credential_delete(VarPtr(i(0)))
    GaDisconnect
    If st <> GA_OK Then Err.Raise vbObjectError + 512 + st, "getavatar", ErrText(st, LastError())
End Sub

' Connects to an instance and keeps apiUrl and idInstance in the workbook, so that the first
' lookup after reopening reconnects by itself. Without a token (recommended) it is read from
' Windows Credential Manager (see GaSaveToken); a token given here is used but never kept.
' Keeps one client and re-creates it when the arguments change. Returns "connected" (with a
' note when the settings could not be kept), or "#GA_ERR_...: message".
Public Function GaConnect(ByVal apiUrl As String, ByVal idInstance As Variant, _
                          Optional ByVal apiTokenInstance As String = "") As String
    On Error GoTo Failed
    Dim key As String, id As String, c As LongPtr, why As String, notKept As String
    Dim u() As Byte, i() As Byte, t() As Byte
    id = CellText(idInstance)
    key = apiUrl & vbNullChar & id & vbNullChar & apiTokenInstance
    If mClient <> 0 And key = mKey Then
        GaConnect = Tr(MSG_CONNECTED)
        Exit Function
    End If
    why = EnsureLoaded()
    If Len(why) > 0 Then
        GaConnect = ErrText(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    u = ToUtf8(apiUrl): i = ToUtf8(id)
    If Len(apiTokenInstance) > 0 Then
        t = ToUtf8(apiTokenInstance)
        c = ga_client_new(VarPtr(u(0)), VarPtr(i(0)), VarPtr(t(0)))
    Else
        c = ga_client_new_from_credential(VarPtr(u(0)), VarPtr(i(0)))
    End If
    If c = 0 Then
        GaConnect = ErrText(GA_ERR_INVALID_ARGUMENT, LastError())
        Exit Function
    End If
    GaDisconnect
    mClient = c
    mKey = key
    RememberClient
    notKept = KeepSetting("apiUrl", apiUrl)
    If Len(notKept) = 0 Then notKept = KeepSetting("idInstance", id)
    If Len(notKept) = 0 Then notKept = KeepSetting("deadlineMs", Setting("deadlineMs", CStr(VBA_DEADLINE_MS)))
    why = ApplySettings()
    If Len(why) > 0 Then
        GaDisconnect
        GaConnect = why
    ElseIf Len(notKept) > 0 Then
        GaConnect = Fmt(MSG_CONNECTED_NOT_KEPT, notKept)
    Else
        GaConnect = Tr(MSG_CONNECTED)
    End If
    Exit Function
Failed:
    GaConnect = ErrText(GA_ERR_INTERNAL, VbaFailure())
End Function

' Frees the workbook's client (the settings kept in the workbook stay). Run it from
' Workbook_BeforeClose (README.md) so that closing the workbook frees it.
Public Sub GaDisconnect()
    Dim c As LongPtr
    If mClient <> 0 Then
        c = mClient
        mClient = 0
        mKey = ""
        RememberClient
        ga_client_free c
    End If
End Sub

' ------------------------------------------------------------------------------------------------
' Worksheet functions: never raise; a failure shows #N/A, and GaAvatarError says why
' ------------------------------------------------------------------------------------------------

' The avatar link of a chat: "" when there is none (or the id cell is blank), #N/A on failure.
Public Function GaAvatarUrl(ByVal chatId As Variant) As Variant
    On Error GoTo Failed
    Dim r As GaResult
    r = LookupOne(chatId, True)
    GaAvatarUrl = CellValue(chatId, r, r.Url)
    Exit Function
Failed:
    r = VbaFailureResult()
    GaAvatarUrl = CellValue(chatId, r, "")
End Function

' Whether the chat's avatar is visible: TRUE, FALSE (hidden by privacy), "unknown" (the server did
' not say), "" for a blank id, or #N/A on failure.
Public Function GaAvatarAvailable(ByVal chatId As Variant) As Variant
    On Error GoTo Failed
    Dim r As GaResult, v As Variant
    r = LookupOne(chatId, True)
    If r.Blank Or r.Status <> GA_OK Then
        v = ""
    ElseIf r.Available < 0 Then
        v = Tr(MSG_UNKNOWN)
    Else
        v = (r.Available = 1)
    End If
    GaAvatarAvailable = CellValue(chatId, r, v)
    Exit Function
Failed:
    r = VbaFailureResult()
    GaAvatarAvailable = CellValue(chatId, r, "")
End Function

' Why a chat id's lookup failed: "#GA_ERR_NAME: message", or "" when it did not. Give the cell
' that shows #N/A as the second argument (=GaAvatarError(A2, B2)): Excel then calculates that cell
' first and this one after it. Without it, the reason of the last lookup of that id is shown (the
' id is looked up when this module has none, e.g. after a VBA reset).
Public Function GaAvatarError(ByVal chatId As Variant, Optional ByVal resultCell As Variant) As String
    On Error GoTo Failed
    Dim key As String, r As GaResult
    If IsMissing(resultCell) Then RetryOnRecalc True
    If Not CheckId(chatId, key, r) Then
        If Not r.Blank Then GaAvatarError = ErrText(r.Status, r.Message)
        Exit Function
    End If
    If KnownReason(key) Then
        GaAvatarError = mReasons(key)
        Exit Function
    End If
    r = LookupOne(chatId, True)
    NoteReason key, r
    If r.Status <> GA_OK Then GaAvatarError = ErrText(r.Status, r.Message)
    Exit Function
Failed:
    GaAvatarError = ErrText(GA_ERR_INTERNAL, VbaFailure())
End Function

' Many links at once: a range or an array in, a column out (one row per id, read row by row).
' Spills in Excel 365/2021; in Excel 2010-2019 enter it as an array formula (select the output
' column, type the formula, Ctrl+Shift+Enter): selected cells past the ids show "". Blank ids
' give "", failures #N/A (GaAvatarError says why). Looked up in parallel (GaSetConcurrency), 16
' ids per DLL call with progress in the status bar; Esc stops it between calls. For a whole
' column, GaFillLinks (Alt+F8) keeps Excel responsive.
Public Function GaAvatarUrls(ByVal chatIds As Variant) As Variant
    On Error GoTo Failed
    Dim ids As Variant, out() As Variant, n As Long, i As Long, anyFailed As Boolean
    ids = IdValues(chatIds)
    n = UBound(ids) + 1
    ReDim out(1 To n, 1 To 1)
    LookupMany ids, out
    For i = 1 To n
        If IsError(out(i, 1)) Then anyFailed = True
    Next
    RetryOnRecalc anyFailed
    GaAvatarUrls = FitCaller(out)
    Exit Function
Failed:
    GaAvatarUrls = CVErr(XL_ERR_NA)
End Function

' Saves the chat's avatar picture to a file (written whole or not at all; an existing file is
' replaced). Returns the path, "" when the chat has no avatar (nothing is written), or #N/A.
' It downloads again whenever the cell is recalculated: for many files use GaDownloadFiles.
Public Function GaDownloadAvatar(ByVal chatId As Variant, ByVal path As String) As Variant
    On Error GoTo Failed
    Dim r As GaResult
    r = DownloadOne(chatId, path, True)
    If r.Status = GA_OK And Len(r.Url) > 0 Then
        GaDownloadAvatar = CellValue(chatId, r, path)
    Else
        GaDownloadAvatar = CellValue(chatId, r, "")
    End If
    Exit Function
Failed:
    r = VbaFailureResult()
    GaDownloadAvatar = CellValue(chatId, r, "")
End Function

' The DLL's version, e.g. "0.1.0", or why it cannot be loaded.
' The pace the client keeps now, in requests a second: the rate limit, or less after the server
' answered 429 (the client learns the instance's real rate); 0 when unpaced. The reason as text
' when not connected.
Public Function GaRate() As Variant
    Dim e As String
    If Connected(e) Then GaRate = ga_client_rate(mClient) Else GaRate = e
End Function

Public Function GaVersion() As String
    Dim why As String
    why = EnsureLoaded()
    If Len(why) > 0 Then
        GaVersion = ErrText(GA_ERR_INVALID_ARGUMENT, why)
    Else
        GaVersion = FromUtf8(ga_version())
    End If
End Function

' ------------------------------------------------------------------------------------------------
' Settings: applied now and kept (reapplied on reconnect). Each returns "" or the error text, and
' keeps the old value on error. The proxy, the CA file and the trust belong to this PC and are
' kept for this user (%LOCALAPPDATA%\getavatar\settings.ini); the others travel with the workbook.
' ------------------------------------------------------------------------------------------------

' How long answers are kept (seconds, 0 to 86400; 0 turns the cache off; default 600).
Public Function GaSetCacheTtl(ByVal seconds As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_cache_ttl(mClient, seconds), "cacheTtl", CStr(seconds))
    GaSetCacheTtl = e
End Function

' Total time budget of each lookup (ms, 0 to 3600000; 0 = none; GaConnect sets 10000): every
' attempt and every wait between them counts; a lookup that would pass it fails with
' "GA_ERR_TIMEOUT: deadline of ... reached" saying what used it. Each id of GaAvatarUrls has
' its own budget.
Public Function GaSetDeadline(ByVal ms As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_deadline_ms(mClient, ms), "deadlineMs", CStr(ms))
    GaSetDeadline = e
End Function

' Timeout of each attempt (ms, 1 to 600000; default 30000, cut to what is left of the deadline).
Public Function GaSetTimeout(ByVal ms As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_timeout_ms(mClient, ms), "timeoutMs", CStr(ms))
    GaSetTimeout = e
End Function

' Retries of transient failures (0 to 10; default 3, within the deadline).
Public Function GaSetMaxRetries(ByVal retries As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_max_retries(mClient, retries), "maxRetries", CStr(retries))
    GaSetMaxRetries = e
End Function

' How many lookups GaAvatarUrls runs at once (1 to 64; default 4).
Public Function GaSetConcurrency(ByVal n As Long) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_concurrency(mClient, n), "concurrency", CStr(n))
    GaSetConcurrency = e
End Function

' Also trusts the certificates in a CA file, PEM or DER (.cer, .crt, .pem), e.g. a corporate proxy's
' root exported from certmgr.msc, in addition to the Windows certificate store (or the bundled
' roots, see GaSetTrust). Certificates are always verified. Kept for this user on this PC.
Public Function GaSetCaFile(ByVal pemPath As String) As String
    Dim e As String, b() As Byte
    If Connected(e) Then
        b = ToUtf8(pemPath)
        e = Kept(ga_client_set_ca_file(mClient, VarPtr(b(0))), "caFile", pemPath)
    End If
    GaSetCaFile = e
End Function

' Whose roots TLS certificates are verified against: GA_TRUST_SYSTEM (0, the default: the Windows
' certificate store, where companies install their proxy's root) or GA_TRUST_BUNDLED (1). Kept
' for this user on this PC.
Public Function GaSetTrust(ByVal trust As GaTrust) As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_set_trust(mClient, trust), "trust", CStr(trust))
    GaSetTrust = e
End Function

' Sets the User-Agent the DLL sends (printable ASCII, at most 256 characters).
Public Function GaSetUserAgent(ByVal userAgent As String) As String
    Dim e As String, b() As Byte
    If Connected(e) Then
        b = ToUtf8(userAgent)
        e = Kept(ga_client_set_user_agent(mClient, VarPtr(b(0))), "userAgent", userAgent)
    End If
    GaSetUserAgent = e
End Function

' Chooses the proxy for every request: "system" (the default: Windows' Internet Options, as
' Internet Explorer and MSXML2.XMLHTTP use them, PAC script included), "direct" (or "") for none,
' or "http://host:port", "socks5://..." or "socks5h://...". Kept for this user on this PC, not in
' the workbook. A proxy URL with a user name or password is used but not kept: after a restart,
' the system's proxy is used until it is set again, e.g. in Workbook_Open.
Public Function GaSetProxy(ByVal proxyUrl As String) As String
    Dim e As String, b() As Byte, keep As String
    If Len(proxyUrl) = 0 Then
        keep = "direct"
    ElseIf InStr(proxyUrl, "@") = 0 Then
        keep = proxyUrl
    End If
    If Connected(e) Then
        b = ToUtf8(proxyUrl)
        e = Kept(ga_client_set_proxy(mClient, VarPtr(b(0))), "proxy", keep)
    End If
    GaSetProxy = e
End Function

' Pins the proxy in the environment variables HTTPS_PROXY (or ALL_PROXY), except for the hosts in
' NO_PROXY, ignoring the Internet Options (the default "system" reads these variables first).
Public Function GaUseEnvProxy() As String
    Dim e As String
    If Connected(e) Then e = Kept(ga_client_use_env_proxy(mClient), "proxy", "env")
    GaUseEnvProxy = e
End Function

' ------------------------------------------------------------------------------------------------
' Macros: to run from Alt+F8 (no parameters), and their forms for your own macros
' ------------------------------------------------------------------------------------------------

' Macro (Alt+F8): asks for the chat id cells and the cells for the links, then fills them one
' lookup at a time (progress in the status bar, Esc stops it, Excel stays responsive). Cells
' already holding something are replaced only after you confirm.
Public Sub GaFillLinks()
    Dim ids As Object, dest As Object
    If Not AskIdsAndDestination(MSG_ASK_LINK_CELLS, ids, dest) Then Exit Sub
    If Not ConfirmOverwrite(Shaped(ids, dest)) Then Exit Sub
    RunAndReport "fill", ids, dest, ""
End Sub

' Writes each chat's link into the cell at the same place in linkCells (its first cell anchors a
' block of the chat ids' shape): the link, "" when none, #N/A on failure (GaAvatarError tells
' why). One lookup at a time, Esc between them; after it, =GaAvatarUrl of the same ids is
' answered from the DLL's cache (GaSetCacheTtl, 600 s). Raises a VBA error naming the failures,
' or vbObjectError + 512 + 14 when stopped with Esc.
'   GaFillAvatarUrls Range("A2:A500"), Range("C2")
Public Sub GaFillAvatarUrls(ByVal chatIds As Object, ByVal linkCells As Object)
    RunCells "fill", chatIds, linkCells, ""
End Sub

' Macro (Alt+F8): asks for the chat id cells and the cells to put the pictures over.
Public Sub GaInsertPictures()
    Dim ids As Object, dest As Object
    If Not AskIdsAndDestination(MSG_ASK_PICTURE_CELLS, ids, dest) Then Exit Sub
    RunAndReport "insert", ids, dest, ""
End Sub

' Puts each chat's avatar over the cell at the same place in pictureCells (see GaFillAvatarUrls),
' fitted with its proportions; the cells' contents are not changed. Raises like GaFillAvatarUrls.
'   GaInsertAvatars Range("A2:A20"), Range("D2")
Public Sub GaInsertAvatars(ByVal chatIds As Object, ByVal pictureCells As Object)
    RunCells "insert", chatIds, pictureCells, ""
End Sub

' Macro (Alt+F8): asks for the chat id cells, a folder, and optionally cells for the paths.
Public Sub GaDownloadFiles()
    Dim ids As Object, dest As Object, folder As String
    Set ids = AskRange(MSG_ASK_IDS, SelectionAddress())
    If ids Is Nothing Then Exit Sub
    folder = InputBox(Tr(MSG_ASK_FOLDER), "getavatar", EnvText("USERPROFILE") & "\Pictures\getavatar")
    If Len(folder) = 0 Then Exit Sub
    Set dest = AskRange(MSG_ASK_PATH_CELLS, "")
    If Not dest Is Nothing Then
        If Not ConfirmOverwrite(Shaped(ids, dest)) Then Exit Sub
    End If
    RunAndReport "download", ids, dest, folder
End Sub

' Saves each chat's avatar as <folder>\<chat id>.<jpg, png, gif, bmp or webp, from its type>
' (written whole or not at all). With pathCells, writes each path ("" when none, #N/A on failure)
' at the same place there; without, writes no cell. Raises like GaFillAvatarUrls.
'   GaDownloadAvatars Range("A2:A20"), "C:\Avatars"
Public Sub GaDownloadAvatars(ByVal chatIds As Object, ByVal folder As String, Optional ByVal pathCells As Object = Nothing)
    RunCells "download", chatIds, pathCells, folder
End Sub

' For macros: the avatar link ("" when none); raises a VBA error on failure with
' Err.Number = vbObjectError + 512 + status, Err.Source = "getavatar", Err.Description = message.
' (In a cell it would show #VALUE!: use GaAvatarUrl there.)
Public Function GaGetAvatar(ByVal chatId As Variant) As String
    Dim r As GaResult
    r = LookupOne(chatId, False)
    If r.Status <> GA_OK Then Err.Raise vbObjectError + 512 + r.Status, "getavatar", Mid$(ErrText(r.Status, r.Message), 2)
    GaGetAvatar = r.Url
End Function

' For macros: the avatar picture's bytes (a Byte array), or Empty when the chat has none;
' contentType receives e.g. "image/jpeg". Raises a VBA error on failure, like GaGetAvatar.
Public Function GaAvatarBytes(ByVal chatId As Variant, Optional ByRef contentType As String) As Variant
    Dim r As GaResult, b() As Byte, has As Boolean
    r = BytesOne(chatId, b, has, contentType)
    If r.Status <> GA_OK Then Err.Raise vbObjectError + 512 + r.Status, "getavatar", Mid$(ErrText(r.Status, r.Message), 2)
    If has Then GaAvatarBytes = b Else GaAvatarBytes = Empty
End Function

' For macros: puts the chat's avatar picture over a cell, fitted inside it with its proportions
' kept, named "GaAvatar_<cell>" so that running it again replaces it (and removes it when the chat
' no longer has an avatar). The cell's content is not changed. Raises a VBA error on failure.
Public Sub GaInsertAvatar(ByVal chatId As Variant, ByVal target As Object)
    Dim r As GaResult
    r = InsertOne(chatId, target)
    If r.Status <> GA_OK Then Err.Raise vbObjectError + 512 + r.Status, "getavatar", Mid$(ErrText(r.Status, r.Message), 2)
End Sub

' ------------------------------------------------------------------------------------------------
' Internals: running over cells
' ------------------------------------------------------------------------------------------------

' An interactive macro's run: the summary, or why it stopped, in a message box.
Private Sub RunAndReport(ByVal what As String, ByVal chatIds As Object, ByVal dest As Object, ByVal folder As String)
    On Error GoTo Failed
    RunCells what, chatIds, dest, folder
    MsgBox RunSummary(), vbInformation, "getavatar"
    Exit Sub
Failed:
    MsgBox Err.Description, vbExclamation, "getavatar"
End Sub

' One chat at a time over chatIds: "fill" (the link into dest), "insert" (a picture over dest),
' "download" (a file in folder; its path into dest when given). Progress in the status bar,
' DoEvents between chats (Excel stays responsive), Esc stops it between chats. Writes no cell
' outside dest. Raises a VBA error at the end when a chat failed or Esc stopped it.
Private Sub RunCells(ByVal what As String, ByVal chatIds As Object, ByVal dest As Object, ByVal folder As String)
    Dim c As Object, target As Object, out As Object, r As GaResult, label As String, path As String
    Dim previous As Long, errNumber As Long, errDesc As String, value As Variant
    Dim halt As GaResult, id As String, none As GaResult ' halt: a failure of the whole instance
    If chatIds.Areas.Count > 1 Then Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", Tr(MSG_ONE_AREA)
    If Not dest Is Nothing Then
        Set out = Shaped(chatIds, dest)
        If Overlaps(out, chatIds) Then Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", _
            Fmt(MSG_OVERLAP, out.Address(False, False), chatIds.Address(False, False))
    ElseIf what <> "download" Then
        Err.Raise vbObjectError + 512 + GA_ERR_INVALID_ARGUMENT, "getavatar", Tr(MSG_NO_DEST)
    End If
    Select Case what
        Case "fill": label = MSG_LINKS
        Case "insert": label = MSG_PICTURES
        Case Else: label = MSG_DOWNLOADS
    End Select
    mRunTotal = chatIds.Cells.Count: mRunDone = 0: mRunWith = 0: mRunWithout = 0
    mRunFailed = 0: mRunFailures = "": mRunFirstStatus = 0
    previous = Application.EnableCancelKey
    On Error GoTo Stopped
    Application.EnableCancelKey = 2                  ' xlErrorHandler: Esc raises error 18 here
    For Each c In chatIds.Cells
        Progress label, mRunDone, mRunTotal
        DoEvents                                     ' repaint, keyboard, Esc: Excel stays responsive
        Set target = Nothing
        If Not out Is Nothing Then Set target = out.Cells(c.Row - chatIds.Row + 1, c.Column - chatIds.Column + 1)
        path = ""
        If halt.Status <> GA_OK Then
            r = none                                 ' nothing of the last chat's result
            If CheckId(c, id, r) Then r = halt       ' every lookup would fail so: none is sent
        Else
            Select Case what
                Case "fill": r = LookupOne(c, False): value = r.Url
                Case "insert": r = InsertOne(c, target)
                Case Else: r = SaveOne(c, folder, path): value = path
            End Select
            ' Lookups only: a picture's failure (GA_ERR_NETWORK for one cut short) is its host's.
            If what = "fill" And InstanceLevel(r) Then
                halt = r
                halt.Message = Fmt(MSG_NOT_SENT, r.Message)
            End If
        End If
        If r.Status = GA_ERR_CANCELLED And r.Message = MSG_ESC Then Err.Raise VBA_ERR_ESC
        NoteReason ReasonKey(c), r
        If r.Blank Then
            value = ""
        ElseIf r.Status <> GA_OK Then
            value = CVErr(XL_ERR_NA)
            mRunFailed = mRunFailed + 1
            If mRunFirstStatus = 0 Then mRunFirstStatus = r.Status
            If mRunFailed <= 5 Then mRunFailures = mRunFailures & vbCrLf & c.Address(False, False) & ": " & Mid$(ErrText(r.Status, r.Message), 2)
        ElseIf Len(r.Url) > 0 Then
            mRunWith = mRunWith + 1
        Else
            mRunWithout = mRunWithout + 1
        End If
        If what <> "insert" And Not target Is Nothing Then target.Value = value
        mRunDone = mRunDone + 1
    Next
    On Error GoTo 0                                  ' the raises below go to the caller
    GoTo Finished
Stopped:
    errNumber = Err.Number: errDesc = Err.Description
Finished:
    Application.StatusBar = False
    Application.EnableCancelKey = previous
    If errNumber = VBA_ERR_ESC Then
        Err.Raise vbObjectError + 512 + GA_ERR_CANCELLED, "getavatar", Fmt(MSG_RUN_STOPPED, mRunDone, mRunTotal) & " " & RunSummary()
    ElseIf errNumber <> 0 Then
        Err.Raise errNumber, "getavatar", errDesc & vbCrLf & RunSummary()
    ElseIf mRunFailed > 0 Then
        Err.Raise vbObjectError + 512 + mRunFirstStatus, "getavatar", RunSummary() & vbCrLf & Fmt(MSG_RUN_FAILURES, mRunFailed, mRunTotal, mRunFailures)
    End If
End Sub

Private Function RunSummary() As String
    RunSummary = Fmt(MSG_RUN_DONE, mRunDone, mRunTotal, mRunWith, mRunWithout, mRunFailed)
End Function

' The status bar during long work.
Private Sub Progress(ByVal what As String, ByVal done As Long, ByVal total As Long)
    Application.StatusBar = Fmt(MSG_PROGRESS, what, done, total)
End Sub

' The cells a user picks in a dialog (Application.InputBox, Type 8), or Nothing on Cancel.
Private Function AskRange(ByVal prompt As String, ByVal suggestion As String) As Object
    On Error Resume Next
    Set AskRange = Application.InputBox(Prompt:=Tr(prompt), Title:="getavatar", Default:=suggestion, Type:=8)
End Function

' Asks for the chat id cells (the selection suggested) and the first cell to write to (the one
' right of the ids suggested; the user confirms or picks another).
Private Function AskIdsAndDestination(ByVal prompt As String, ByRef ids As Object, ByRef dest As Object) As Boolean
    Set ids = AskRange(MSG_ASK_IDS, SelectionAddress())
    If ids Is Nothing Then Exit Function
    Set dest = AskRange(prompt, ids.Cells(1, 1).Offset(0, ids.Columns.Count).Address)
    If dest Is Nothing Then Exit Function
    AskIdsAndDestination = True
End Function

Private Function SelectionAddress() As String
    On Error Resume Next
    If TypeName(Selection) = "Range" Then SelectionAddress = Selection.Address
End Function

' True when the cells are empty, or the user agrees to replace what they hold.
Private Function ConfirmOverwrite(ByVal block As Object) As Boolean
    Dim n As Long
    n = Application.WorksheetFunction.CountA(block)
    If n = 0 Then
        ConfirmOverwrite = True
    Else
        ConfirmOverwrite = (MsgBox(Fmt(MSG_OVERWRITE, block.Address(False, False), n), vbOKCancel + vbQuestion, "getavatar") = vbOK)
    End If
End Function

' The block of the ids' shape whose first cell is dest's first cell.
Private Function Shaped(ByVal ids As Object, ByVal dest As Object) As Object
    Set Shaped = dest.Cells(1, 1).Resize(ids.Rows.Count, ids.Columns.Count)
End Function

Private Function Overlaps(ByVal a As Object, ByVal b As Object) As Boolean
    On Error Resume Next                             ' different sheets: no overlap
    Overlaps = Not (Application.Intersect(a, b) Is Nothing)
End Function

' ------------------------------------------------------------------------------------------------
' Internals: one chat
' ------------------------------------------------------------------------------------------------

' Reads a chat id (a cell, or a value): True and its text when there is one to look up; else
' False and r says why: blank (r.Blank: nothing to look up), an Excel error value, several cells.
Private Function CheckId(ByVal chatId As Variant, ByRef id As String, ByRef r As GaResult) As Boolean
    Dim v As Variant
    If IsObject(chatId) Then
        If chatId.Cells.Count <> 1 Then
            r = Failure(GA_ERR_INVALID_ARGUMENT, MSG_ONE_CELL)
            Exit Function
        End If
        v = chatId.Value
    Else
        v = chatId
    End If
    If IsArray(v) Then
        r = Failure(GA_ERR_INVALID_ARGUMENT, MSG_ONE_CELL)
    ElseIf IsError(v) Then
        r = Failure(GA_ERR_INVALID_ARGUMENT, Fmt(MSG_EXCEL_ERROR, ExcelErrorName(v)))
    Else
        id = CellText(v)
        If Len(Trim$(id)) = 0 Then
            r.Status = GA_OK
            r.Available = -1
            r.Blank = True
        Else
            CheckId = True
        End If
    End If
End Function

' The name Excel shows for an error value (CStr gives "Error 2042").
Private Function ExcelErrorName(ByVal v As Variant) As String
    Select Case Val(Mid$(CStr(v), 7))
        Case 2000: ExcelErrorName = "#NULL!"
        Case 2007: ExcelErrorName = "#DIV/0!"
        Case 2015: ExcelErrorName = "#VALUE!"
        Case 2023: ExcelErrorName = "#REF!"
        Case 2029: ExcelErrorName = "#NAME?"
        Case 2036: ExcelErrorName = "#NUM!"
        Case 2042: ExcelErrorName = "#N/A"
        Case 2043: ExcelErrorName = "#GETTING_DATA"
        Case 2045: ExcelErrorName = "#SPILL!"
        Case 2050: ExcelErrorName = "#CALC!"
        Case Else: ExcelErrorName = CStr(v)
    End Select
End Function

' True when a lookup may go to the network: connected and, for a cell, not within NET_PAUSE_S of
' a timeout or network failure. Else r says why.
Private Function Ready(ByVal fromCell As Boolean, ByRef r As GaResult) As Boolean
    Dim why As String
    If fromCell And mPauseUntil > 0 Then
        If Now < mPauseUntil Then
            r = Failure(mPauseStatus, Fmt(MSG_PAUSED, Format$(mPauseAt, "hh:nn:ss"), StatusName(mPauseStatus) & ": " & mPauseWhy, NET_PAUSE_S))
            Exit Function
        End If
    End If
    why = EnsureClient()
    If Len(why) > 0 Then
        r = Failure(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    Ready = True
End Function

' After a lookup: a timeout or network failure pauses the cells' lookups; a success ends it.
Private Sub NotePause(ByRef r As GaResult)
    If r.Status = GA_ERR_TIMEOUT Or r.Status = GA_ERR_NETWORK Then
        mPauseAt = Now
        mPauseUntil = mPauseAt + TimeSerial(0, 0, NET_PAUSE_S)
        mPauseStatus = r.Status
        mPauseWhy = r.Message
    ElseIf r.Status = GA_OK Then
        mPauseUntil = 0
    End If
End Sub

Private Function LookupOne(ByVal chatId As Variant, ByVal fromCell As Boolean) As GaResult
    Dim r As GaResult, id As String, b() As Byte, p As LongPtr
    On Error GoTo Failed
    If Not CheckId(chatId, id, r) Then LookupOne = r: Exit Function
    If Not Ready(fromCell, r) Then LookupOne = r: Exit Function
    b = ToUtf8(id)
    p = ga_get_avatar(mClient, VarPtr(b(0)))         ' Esc during the call raises error 18 after it
    r = TakeResult(p)
    NotePause r
    LookupOne = r
    Exit Function
Failed:
    r = VbaFailureResult()
    DropResult p
    ReleaseEsc True
    LookupOne = r
End Function

' GaDownloadAvatar: the DLL writes the file (whole or not at all).
Private Function DownloadOne(ByVal chatId As Variant, ByVal path As String, ByVal fromCell As Boolean) As GaResult
    Dim r As GaResult, id As String, b() As Byte, f() As Byte, p As LongPtr
    On Error GoTo Failed
    If Not CheckId(chatId, id, r) Then DownloadOne = r: Exit Function
    If Not Ready(fromCell, r) Then DownloadOne = r: Exit Function
    b = ToUtf8(id): f = ToUtf8(path)
    p = ga_download_avatar(mClient, VarPtr(b(0)), VarPtr(f(0)))
    r = TakeResult(p)
    NotePause r
    DownloadOne = r
    Exit Function
Failed:
    r = VbaFailureResult()
    DropResult p
    ReleaseEsc True
    DownloadOne = r
End Function

' The picture's bytes (has: whether there is one) and content type.
Private Function BytesOne(ByVal chatId As Variant, ByRef b() As Byte, ByRef has As Boolean, ByRef contentType As String) As GaResult
    Dim r As GaResult, id As String, u() As Byte, p As LongPtr, data As LongPtr, n As Long
    On Error GoTo Failed
    If Not CheckId(chatId, id, r) Then BytesOne = r: Exit Function
    If Not Ready(False, r) Then BytesOne = r: Exit Function
    u = ToUtf8(id)
    p = ga_download_avatar_bytes(mClient, VarPtr(u(0)))
    HoldEsc                                          ' copied and freed whole, or not at all
    If p <> 0 Then
        data = PeekPtr(p + OFFSET_DATA)
        n = CLng(PeekPtr(p + OFFSET_SIZE))           ' at most 16 MiB
        contentType = FromUtf8(PeekPtr(p + OFFSET_CONTENT_TYPE))
        If data <> 0 And n > 0 Then
            ReDim b(0 To n - 1)
            RtlMoveMemory VarPtr(b(0)), data, n
            has = True
        End If
    End If
    r = ReadResult(p)                                ' frees p: the bytes were copied above
    p = 0
    ReleaseEsc
    NotePause r
    BytesOne = r
    Exit Function
Failed:
    r = VbaFailureResult()
    DropResult p
    ReleaseEsc True
    BytesOne = r
End Function

' GaDownloadAvatars: <folder>\<chat id>.<extension of its type>; path gets the file written.
Private Function SaveOne(ByVal chatId As Variant, ByVal folder As String, ByRef path As String) As GaResult
    Dim r As GaResult, b() As Byte, has As Boolean, ct As String, why As String
    r = BytesOne(chatId, b, has, ct)
    If r.Status = GA_OK And has Then
        path = folder & "\" & ReasonKey(chatId) & ExtensionOf(ct)
        why = SaveBytes(path, b)
        If Len(why) > 0 Then
            r = Failure(GA_ERR_IO, why)
            path = ""
        End If
    End If
    SaveOne = r
End Function

' GaInsertAvatar: the picture over target (a temporary file, deleted whatever happens).
Private Function InsertOne(ByVal chatId As Variant, ByVal target As Object) As GaResult
    Dim r As GaResult, b() As Byte, has As Boolean, ct As String, path As String, why As String
    Dim shp As Object, shapeName As String
    On Error GoTo Failed
    r = BytesOne(chatId, b, has, ct)
    If r.Status <> GA_OK Or r.Blank Then InsertOne = r: Exit Function
    shapeName = "GaAvatar_" & target.Address(False, False)
    On Error Resume Next
    target.Worksheet.Shapes(shapeName).Delete
    On Error GoTo Failed
    If Not has Then InsertOne = r: Exit Function    ' no avatar (or hidden): nothing to show
    HoldEsc                                          ' the temporary file never stays behind
    path = EnvText("TEMP") & "\getavatar_" & shapeName & ExtensionOf(ct)
    why = SaveBytes(path, b)
    If Len(why) > 0 Then
        ReleaseEsc
        InsertOne = Failure(GA_ERR_IO, why)
        Exit Function
    End If
    ' AddPicture(file, LinkToFile:=msoFalse, SaveWithDocument:=msoTrue, left, top, width, height);
    ' -1 keeps the picture's own size, scaled below.
    Set shp = target.Worksheet.Shapes.AddPicture(path, 0, -1, target.Left, target.Top, -1, -1)
    DeleteFileW StrPtr(path)
    path = ""
    shp.LockAspectRatio = -1
    If shp.Width / shp.Height > target.Width / target.Height Then
        shp.Width = target.Width
    Else
        shp.Height = target.Height
    End If
    shp.Left = target.Left + (target.Width - shp.Width) / 2
    shp.Top = target.Top + (target.Height - shp.Height) / 2
    shp.Name = shapeName
    ReleaseEsc
    InsertOne = r
    Exit Function
Failed:
    r = VbaFailureResult()
    If Len(path) > 0 Then DeleteFileW StrPtr(path)
    ReleaseEsc True
    InsertOne = r
End Function

Private Function ExtensionOf(ByVal contentType As String) As String
    Select Case LCase$(contentType)
        Case "image/png": ExtensionOf = ".png"
        Case "image/gif": ExtensionOf = ".gif"
        Case "image/bmp": ExtensionOf = ".bmp"
        Case "image/webp": ExtensionOf = ".webp"
        Case Else: ExtensionOf = ".jpg"
    End Select
End Function

' Writes bytes to a file through the wide calls: into <path>.part, then renamed over path, so a
' file is whole or absent. "" or why not.
Private Function SaveBytes(ByVal path As String, ByRef b() As Byte) As String
    Dim h As LongPtr, part As String, written As Long, ok As Boolean, code As Long
    part = path & ".part"
    HoldEsc
    h = CreateFileW(StrPtr(part), GENERIC_WRITE, 0, 0, CREATE_ALWAYS, 0, 0)
    If h = -1 Then                                   ' INVALID_HANDLE_VALUE
        code = Err.LastDllError
    Else
        ok = (WriteFile(h, VarPtr(b(0)), UBound(b) + 1, VarPtr(written), 0) <> 0)
        If ok Then ok = (written = UBound(b) + 1)
        If Not ok Then code = Err.LastDllError
        CloseHandle h
        If ok Then
            ok = (MoveFileExW(StrPtr(part), StrPtr(path), MOVEFILE_REPLACE_EXISTING) <> 0)
            If Not ok Then code = Err.LastDllError
        End If
        If Not ok Then DeleteFileW StrPtr(part)
    End If
    ReleaseEsc
    If Not ok Then SaveBytes = Fmt(MSG_WRITE_FAILED, path, code)
End Function

' Esc (xlErrorHandler) raises error 18 between any two statements. Where a result of the DLL is
' being copied and freed, or a file written, HoldEsc turns it off (xlDisabled) and ReleaseEsc
' turns it back, so that no result leaks, no file stays open, no temporary file stays behind.
Private Sub HoldEsc()
    On Error Resume Next
    If mHoldDepth = 0 Then
        mHeldKey = Application.EnableCancelKey
        Application.EnableCancelKey = XL_DISABLED
    End If
    mHoldDepth = mHoldDepth + 1
End Sub

' everything: from an error handler, whatever was held below it.
Private Sub ReleaseEsc(Optional ByVal everything As Boolean)
    On Error Resume Next
    If mHoldDepth = 0 Then Exit Sub
    mHoldDepth = mHoldDepth - 1
    If everything Then mHoldDepth = 0
    If mHoldDepth = 0 Then Application.EnableCancelKey = mHeldKey
End Sub

' ------------------------------------------------------------------------------------------------
' Internals: many chats in a cell (GaAvatarUrls)
' ------------------------------------------------------------------------------------------------

' Looks up ids(0..n-1) into out(1..n, 1): blank ids give "", others the link, "" or #N/A. CHUNK
' ids per DLL call; between calls the status bar shows progress and Esc stops it (the rest show
' #N/A, GaAvatarError "stopped with Esc").
Private Sub LookupMany(ByRef ids As Variant, ByRef out() As Variant)
    Dim n As Long, i As Long, m As Long, first As Long, k As Long, id As String, r As GaResult
    Dim texts() As String, rows() As Long, pending As Long, many As Boolean, previous As Long
    Dim halt As GaResult                             ' a failure of the whole instance, once met
    n = UBound(ids) + 1
    ReDim texts(0 To n - 1): ReDim rows(0 To n - 1)
    For i = 0 To n - 1
        If CheckId(ids(i), id, r) Then
            texts(pending) = id: rows(pending) = i + 1: pending = pending + 1
        Else
            Place "", i + 1, r, out
        End If
    Next
    If pending = 0 Then Exit Sub
    If Not Ready(True, r) Then
        For k = 0 To pending - 1
            Place texts(k), rows(k), r, out
        Next
        Exit Sub
    End If
    many = (pending > CHUNK)
    On Error GoTo Stopped
    If many Then
        previous = Application.EnableCancelKey
        Application.EnableCancelKey = XL_ERROR_HANDLER
    End If
    For first = 0 To pending - 1 Step CHUNK
        If many Then Progress MSG_LINKS, first, pending
        m = pending - first
        If m > CHUNK Then m = CHUNK
        If halt.Status = GA_OK Then
            LookupChunk texts, rows, first, m, out, halt
        Else                                         ' every lookup would fail so: none is sent
            For k = first To first + m - 1
                Place texts(k), rows(k), halt, out
            Next
        End If
    Next
    If many Then
        Application.StatusBar = False
        Application.EnableCancelKey = previous
    End If
    Exit Sub
Stopped:
    r = VbaFailureResult()
    For k = first To pending - 1
        If IsEmpty(out(rows(k), 1)) Then Place texts(k), rows(k), r, out
    Next
    If many Then
        Application.StatusBar = False
        Application.EnableCancelKey = previous
    End If
End Sub

' One ga_get_avatars call for texts(first .. first+m-1): all ids NUL-terminated in one UTF-8
' buffer that stays alive while the DLL reads it; ptrs(k) points at id k inside it. Every result
' is freed, Esc or not. The first failure of the whole instance among them goes into halt.
Private Sub LookupChunk(ByRef texts() As String, ByRef rows() As Long, ByVal first As Long, ByVal m As Long, ByRef out() As Variant, ByRef halt As GaResult)
    Dim parts() As Variant, offs() As Long, buf() As Byte, b() As Byte, total As Long
    Dim ptrs() As LongPtr, res() As LongPtr, st As Long, k As Long, r As GaResult, why As String
    Dim errNumber As Long, errDesc As String
    ReDim parts(0 To m - 1): ReDim offs(0 To m - 1): ReDim ptrs(0 To m - 1): ReDim res(0 To m - 1)
    For k = 0 To m - 1
        parts(k) = ToUtf8(texts(first + k))
        offs(k) = total
        total = total + UBound(parts(k)) + 1
    Next
    ReDim buf(0 To total - 1)
    For k = 0 To m - 1
        b = parts(k)
        RtlMoveMemory VarPtr(buf(offs(k))), VarPtr(b(0)), UBound(b) + 1
        ptrs(k) = VarPtr(buf(0)) + offs(k)
    Next
    On Error GoTo Failed
    st = ga_get_avatars(mClient, VarPtr(ptrs(0)), m, VarPtr(res(0)))
    HoldEsc
    If st <> GA_OK Then why = LastError()
    For k = 0 To m - 1
        If res(k) = 0 Then
            If st = GA_OK Then r = Failure(GA_ERR_INTERNAL, MSG_OUT_OF_MEMORY) Else r = Failure(st, why)
        Else
            r = ReadResult(res(k))
            res(k) = 0
        End If
        NotePause r
        If halt.Status = GA_OK And InstanceLevel(r) Then
            halt = r
            halt.Message = Fmt(MSG_NOT_SENT, r.Message)
        End If
        Place texts(first + k), rows(first + k), r, out
    Next
    ReleaseEsc
    Exit Sub
Failed:
    errNumber = Err.Number: errDesc = Err.Description
    For k = 0 To m - 1
        DropResult res(k)
    Next
    ReleaseEsc True
    Err.Raise errNumber, "getavatar", errDesc
End Sub

' Whether every lookup of the instance would fail as r did (the DLL's rule, which ga_get_avatars
' applies within one call): a rejected token, an unknown instance, the quota used up, the network,
' a timeout that reached no server.
Private Function InstanceLevel(ByRef r As GaResult) As Boolean
    Dim m As String, p As Long
    Select Case r.Status
        Case GA_ERR_UNAUTHORIZED, GA_ERR_FORBIDDEN, GA_ERR_NOT_FOUND, GA_ERR_QUOTA_EXCEEDED
            InstanceLevel = True
        Case GA_ERR_NETWORK                          ' not an answer cut short after its status line
            InstanceLevel = (r.HttpStatus = 0)
        Case GA_ERR_TIMEOUT
            m = r.Message
            p = InStr(m, DLL_LAST_ATTEMPT)
            If p > 0 Then m = Mid$(m, p + Len(DLL_LAST_ATTEMPT))
            InstanceLevel = (Left$(m, Len(DLL_NO_CONNECTION)) = DLL_NO_CONNECTION) Or (Left$(m, Len(DLL_SILENT_PROXY)) = DLL_SILENT_PROXY)
    End Select
End Function

' Puts a result into out(row, 1) ("" for a blank id, the link, or #N/A) and notes its reason.
Private Sub Place(ByVal id As String, ByVal row As Long, ByRef r As GaResult, ByRef out() As Variant)
    NoteReason id, r
    If r.Blank Then
        out(row, 1) = ""
    ElseIf r.Status = GA_OK Then
        out(row, 1) = r.Url
    Else
        out(row, 1) = CVErr(XL_ERR_NA)
    End If
End Sub

' The values of a range, an array or one value, row by row.
Private Function IdValues(ByVal chatIds As Variant) As Variant
    Dim vals As Variant, list() As Variant, r As Long, c As Long, i As Long, k As Long
    If IsObject(chatIds) Then vals = chatIds.Value Else vals = chatIds
    If Not IsArray(vals) Then
        ReDim list(0 To 0)
        list(0) = vals
    ElseIf ArrayDims(vals) = 2 Then
        ReDim list(0 To (UBound(vals, 1) - LBound(vals, 1) + 1) * (UBound(vals, 2) - LBound(vals, 2) + 1) - 1)
        For r = LBound(vals, 1) To UBound(vals, 1)
            For c = LBound(vals, 2) To UBound(vals, 2)
                list(k) = vals(r, c): k = k + 1
            Next
        Next
    Else
        ReDim list(0 To UBound(vals) - LBound(vals))
        For i = LBound(vals) To UBound(vals)
            list(k) = vals(i): k = k + 1
        Next
    End If
    IdValues = list
End Function

' A legacy array formula (Ctrl+Shift+Enter) fills exactly the selected cells: rows past the
' results show "" instead of #N/A. Spilled formulas and macros get the column as it is.
Private Function FitCaller(ByRef out() As Variant) As Variant
    Dim rows As Long, cols As Long, i As Long, j As Long, fitted() As Variant
    FitCaller = out
    On Error GoTo Done                               ' not called from a cell
    If TypeName(Application.Caller) <> "Range" Then Exit Function
    If Not Application.Caller.HasArray Then Exit Function
    rows = Application.Caller.Rows.Count: cols = Application.Caller.Columns.Count
    If rows <= UBound(out, 1) And cols = 1 Then Exit Function
    If rows < UBound(out, 1) Then rows = UBound(out, 1)
    ReDim fitted(1 To rows, 1 To cols)
    For i = 1 To rows
        For j = 1 To cols
            If i <= UBound(out, 1) And j = 1 Then fitted(i, j) = out(i, 1) Else fitted(i, j) = ""
        Next
    Next
    FitCaller = fitted
Done:
End Function

' ------------------------------------------------------------------------------------------------
' Internals: results, errors and their texts
' ------------------------------------------------------------------------------------------------

' What a single-chat worksheet function shows: "" for a blank id, okValue on success, #N/A on
' failure (the reason noted for GaAvatarError). A failed cell is volatile, so the next
' recalculation (F9) tries it again; a cell that succeeds stops being volatile.
Private Function CellValue(ByVal chatId As Variant, ByRef r As GaResult, ByVal okValue As Variant) As Variant
    RetryOnRecalc (Not r.Blank And r.Status <> GA_OK)
    If r.Blank Then
        CellValue = ""
        Exit Function
    End If
    NoteReason ReasonKey(chatId), r
    If r.Status = GA_OK Then CellValue = okValue Else CellValue = CVErr(XL_ERR_NA)
End Function

' Application.Volatile for the calling cell (nothing when not called from a cell).
Private Sub RetryOnRecalc(ByVal retry As Boolean)
    On Error Resume Next
    If TypeName(Application.Caller) = "Range" Then Application.Volatile retry
End Sub

' The chat id's text for mReasons, or "" (blank, an error value, several cells).
Private Function ReasonKey(ByVal chatId As Variant) As String
    Dim id As String, r As GaResult
    On Error Resume Next
    If CheckId(chatId, id, r) Then ReasonKey = id
End Function

Private Function KnownReason(ByVal key As String) As Boolean
    Dim v As Variant
    If mReasons Is Nothing Then Exit Function
    On Error GoTo Absent
    v = mReasons(key)
    KnownReason = True
Absent:
End Function

Private Sub NoteReason(ByVal key As String, ByRef r As GaResult)
    If Len(key) = 0 Or r.Blank Then Exit Sub
    If mReasons Is Nothing Then Set mReasons = New Collection
    On Error Resume Next
    mReasons.Remove key
    If r.Status = GA_OK Then mReasons.Add "", key Else mReasons.Add ErrText(r.Status, r.Message), key
End Sub

' The text a failure shows: "#GA_ERR_NAME: message", with the settings the DLL names by their C
' function named by this module's procedures. Needs nothing from the DLL: it works when
' getavatar.dll is missing.
Private Function ErrText(ByVal status As Long, ByVal message As String) As String
    message = Tr(message)
    ErrText = "#" & StatusName(status) & ": " & VbaNames(message)
End Function

' GaStatus's names (include/getavatar.h), kept here so that every message can be read with the
' DLL missing or not yet loaded (tests/vba_module.rs checks them against the header).
Private Function StatusName(ByVal status As Long) As String
    Select Case status
        Case 0: StatusName = "GA_OK"
        Case 1: StatusName = "GA_ERR_INVALID_ARGUMENT"
        Case 2: StatusName = "GA_ERR_VALIDATION"
        Case 3: StatusName = "GA_ERR_UNAUTHORIZED"
        Case 4: StatusName = "GA_ERR_FORBIDDEN"
        Case 5: StatusName = "GA_ERR_NOT_FOUND"
        Case 6: StatusName = "GA_ERR_RATE_LIMITED"
        Case 7: StatusName = "GA_ERR_QUOTA_EXCEEDED"
        Case 8: StatusName = "GA_ERR_SERVER"
        Case 9: StatusName = "GA_ERR_TIMEOUT"
        Case 10: StatusName = "GA_ERR_NETWORK"
        Case 11: StatusName = "GA_ERR_BAD_RESPONSE"
        Case 12: StatusName = "GA_ERR_INTERNAL"
        Case 13: StatusName = "GA_ERR_IO"
        Case 14: StatusName = "GA_ERR_CANCELLED"
        Case Else: StatusName = "GA_ERR_UNKNOWN"
    End Select
End Function

' The DLL's names of settings replaced by this module's (the table in src/settings.rs).
Private Function VbaNames(ByVal message As String) As String
    If InStr(message, "ga_client_set_") > 0 Then
        message = Replace(message, "ga_client_set_ca_file", "GaSetCaFile")
        message = Replace(message, "ga_client_set_trust", "GaSetTrust")
        message = Replace(message, "ga_client_set_proxy", "GaSetProxy")
        message = Replace(message, "ga_client_set_deadline_ms", "GaSetDeadline")
        message = Replace(message, "ga_client_set_timeout_ms", "GaSetTimeout")
    End If
    VbaNames = message
End Function

' The current VBA error as a sentence (Esc, a DLL that cannot be called, others).
Private Function VbaFailure() As String
    Select Case Err.Number
        Case VBA_ERR_ESC
            VbaFailure = MSG_ESC
        Case 48, 53, 453
            #If Mac Then
                VbaFailure = MSG_WINDOWS_ONLY
            #Else
                VbaFailure = Fmt(MSG_DLL_CALL_FAILED, Err.Number, Err.Description)
            #End If
        Case Else
            VbaFailure = Fmt(MSG_VBA_ERROR, Err.Number, Err.Description)
    End Select
End Function

' The current VBA error as a result: Esc is GA_ERR_CANCELLED, anything else GA_ERR_INTERNAL.
Private Function VbaFailureResult() As GaResult
    If Err.Number = VBA_ERR_ESC Then
        VbaFailureResult = Failure(GA_ERR_CANCELLED, MSG_ESC)
    Else
        VbaFailureResult = Failure(GA_ERR_INTERNAL, VbaFailure())
    End If
End Function

' A failed result that never reached the DLL.
Private Function Failure(ByVal status As Long, ByVal message As String) As GaResult
    Dim r As GaResult
    r.Status = status
    r.Available = -1
    r.Message = message
    Failure = r
End Function

' Copies a GaAvatar (or GaAvatarImage) out of the DLL's memory and frees it. NULL (no memory).
Private Function ReadResult(ByVal p As LongPtr) As GaResult
    Dim r As GaResult
    If p = 0 Then
        r.Status = GA_ERR_INTERNAL
        r.Available = -1
        r.Message = MSG_OUT_OF_MEMORY
    Else
        r.Status = PeekLong(p + OFFSET_STATUS)
        r.HttpStatus = PeekLong(p + OFFSET_HTTP_STATUS)
        r.Available = PeekLong(p + OFFSET_AVAILABLE)
        r.Url = FromUtf8(PeekPtr(p + OFFSET_URL_AVATAR))
        r.Message = FromUtf8(PeekPtr(p + OFFSET_ERROR))
        ga_free p                                  ' everything was copied above
    End If
    ReadResult = r
End Function

' A result just returned by the DLL, copied and freed with Esc held; p is cleared.
Private Function TakeResult(ByRef p As LongPtr) As GaResult
    HoldEsc
    TakeResult = ReadResult(p)
    p = 0
    ReleaseEsc
End Function

' From an error handler: frees a result Esc stopped before it was read (once: p is cleared).
Private Sub DropResult(ByRef p As LongPtr)
    Dim q As LongPtr
    If p = 0 Then Exit Sub
    q = p
    p = 0
    ga_free q
End Sub

' True when there is a client (reconnecting if needed); else failText gets the error text.
Private Function Connected(ByRef failText As String) As Boolean
    Dim why As String
    why = EnsureClient()
    If Len(why) > 0 Then failText = ErrText(GA_ERR_INVALID_ARGUMENT, why) Else Connected = True
End Function

' After a setter: keeps the value on success; "" or the error text (also when it could not be
' kept: the value is used now, and said to be lost later).
Private Function Kept(ByVal status As Long, ByVal name As String, ByVal value As String) As String
    Dim why As String
    If status <> GA_OK Then
        Kept = ErrText(status, LastError())
        Exit Function
    End If
    why = KeepSetting(name, value)
    If Len(why) > 0 Then Kept = ErrText(GA_ERR_IO, why)
End Function

' ------------------------------------------------------------------------------------------------
' Internals: the client, the settings, the DLL
' ------------------------------------------------------------------------------------------------

' The client, connecting on first use: from the workbook's settings and the stored token (so the
' first lookup after opening, or after a VBA reset, reconnects by itself), else from GA_API_URL,
' GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE. "" or why not.
Private Function EnsureClient() As String
    If mClient <> 0 Then Exit Function
    Dim u As String, i As String, res As String
    u = Setting("apiUrl", ""): i = Setting("idInstance", "")
    If Len(u) > 0 And Len(i) > 0 Then
        res = GaConnect(u, i)
    Else
        res = EnsureLoaded()                         ' a Mac, or no DLL: say that first
        If Len(res) > 0 Then
            EnsureClient = res
            Exit Function
        End If
        If Len(EnvText("GA_API_URL")) = 0 Then
            EnsureClient = MSG_NOT_CONNECTED
            Exit Function
        End If
        res = ConnectFromEnv()
    End If
    If mClient = 0 Then EnsureClient = Mid$(res, InStr(res, ": ") + 2)
End Function

' A client from GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE, which the DLL reads itself
' (ga_client_new_from_env), with GaConnect's defaults. "connected" or the error text.
Private Function ConnectFromEnv() As String
    Dim why As String, c As LongPtr
    why = EnsureLoaded()
    If Len(why) > 0 Then
        ConnectFromEnv = ErrText(GA_ERR_INVALID_ARGUMENT, why)
        Exit Function
    End If
    c = ga_client_new_from_env()
    If c = 0 Then
        ConnectFromEnv = ErrText(GA_ERR_INVALID_ARGUMENT, LastError())
        Exit Function
    End If
    GaDisconnect
    mClient = c
    mKey = "environment"
    RememberClient
    why = ApplySettings()
    If Len(why) = 0 Then
        ConnectFromEnv = Tr(MSG_CONNECTED)
    Else
        GaDisconnect
        ConnectFromEnv = why
    End If
End Function

' GaConnect's defaults, then the kept settings, on the new client. "" or the error text naming
' the setting and where it is kept.
Private Function ApplySettings() As String
    Dim st As Long, which As String, proxy As String, b() As Byte
    ' The DLL's messages (cells, dialogs) in Excel's UI language.
    which = "language": b = ToUtf8(UiLanguageTag()): st = ga_client_set_language(mClient, VarPtr(b(0)))
    If st = GA_OK Then which = "deadlineMs": st = ga_client_set_deadline_ms(mClient, CLng(Val(Setting("deadlineMs", CStr(VBA_DEADLINE_MS)))))
    If st = GA_OK And Len(Setting("timeoutMs", "")) > 0 Then which = "timeoutMs": st = ga_client_set_timeout_ms(mClient, CLng(Val(Setting("timeoutMs", ""))))
    If st = GA_OK And Len(Setting("maxRetries", "")) > 0 Then which = "maxRetries": st = ga_client_set_max_retries(mClient, CLng(Val(Setting("maxRetries", ""))))
    If st = GA_OK Then which = "cacheTtl": st = ga_client_set_cache_ttl(mClient, CLng(Val(Setting("cacheTtl", CStr(VBA_CACHE_TTL_S)))))
    If st = GA_OK Then which = "concurrency": st = ga_client_set_concurrency(mClient, CLng(Val(Setting("concurrency", CStr(VBA_CONCURRENCY)))))
    proxy = Setting("proxy", "")
    If st = GA_OK And proxy = "env" Then
        which = "proxy": st = ga_client_use_env_proxy(mClient)
    ElseIf st = GA_OK And Len(proxy) > 0 Then
        which = "proxy": b = ToUtf8(proxy): st = ga_client_set_proxy(mClient, VarPtr(b(0)))
    End If
    If st = GA_OK And Len(Setting("trust", "")) > 0 Then which = "trust": st = ga_client_set_trust(mClient, CLng(Val(Setting("trust", "0"))))
    If st = GA_OK And Len(Setting("caFile", "")) > 0 Then
        which = "caFile": b = ToUtf8(Setting("caFile", "")): st = ga_client_set_ca_file(mClient, VarPtr(b(0)))
    End If
    If st = GA_OK And Len(Setting("userAgent", "")) > 0 Then
        which = "userAgent": b = ToUtf8(Setting("userAgent", "")): st = ga_client_set_user_agent(mClient, VarPtr(b(0)))
    End If
    If st <> GA_OK Then ApplySettings = ErrText(st, Fmt(MSG_SETTING_FAILED, which, SettingPlace(which), LastError()))
End Function

' Settings that belong to this PC and this user, not to the workbook.
Private Function IsUserSetting(ByVal name As String) As Boolean
    IsUserSetting = (name = "proxy" Or name = "caFile" Or name = "trust")
End Function

Private Function UserSettingsFile() As String
    Dim base As String
    base = EnvText("LOCALAPPDATA")
    If Len(base) > 0 Then UserSettingsFile = base & USER_SETTINGS
End Function

Private Function SettingPlace(ByVal name As String) As String
    If IsUserSetting(name) Then SettingPlace = Fmt(MSG_FOR_USER, UserSettingsFile()) Else SettingPlace = MSG_IN_WORKBOOK
End Function

' A kept setting, or the default: a user setting from settings.ini, the others from the
' workbook's custom document property "getavatar.<name>".
Private Function Setting(ByVal name As String, ByVal fallback As String) As String
    Dim file As String, section As String, buf As String, none As String, n As Long
    Setting = fallback
    If IsUserSetting(name) Then
        file = UserSettingsFile()
        If Len(file) = 0 Then Exit Function
        section = "settings": none = "": buf = String$(2048, vbNullChar)
        n = GetPrivateProfileStringW(StrPtr(section), StrPtr(name), StrPtr(none), StrPtr(buf), 2048, StrPtr(file))
        If n > 0 Then Setting = Left$(buf, n)
        Exit Function
    End If
    On Error Resume Next
    Setting = CStr(ThisWorkbook.CustomDocumentProperties(SETTING_PREFIX & name).Value)
End Function

' Keeps a setting ("" removes it); "" or why it could not be kept. Written only when it changes,
' so that reconnecting does not mark the workbook as changed. Excel may not let a worksheet
' function change document properties: then the value is still used now, and the message says so.
Private Function KeepSetting(ByVal name As String, ByVal value As String) As String
    Dim props As Object
    If Setting(name, vbNullChar) = value Then Exit Function
    If IsUserSetting(name) Then
        KeepSetting = KeepUserSetting(name, value)
        Exit Function
    End If
    On Error Resume Next
    Set props = ThisWorkbook.CustomDocumentProperties
    props(SETTING_PREFIX & name).Delete
    Err.Clear
    If Len(value) > 0 Then props.Add SETTING_PREFIX & name, False, MSO_PROPERTY_TYPE_STRING, value
    If Err.Number <> 0 Then KeepSetting = Fmt(MSG_NOT_KEPT, MSG_IN_WORKBOOK, SETTING_PREFIX & name & ": " & Err.Description)
End Function

' settings.ini is made as UTF-16 (a byte order mark first), so that Windows keeps any path in it.
Private Function KeepUserSetting(ByVal name As String, ByVal value As String) As String
    Dim file As String, folder As String, section As String, bom() As Byte, ok As Long, why As String
    file = UserSettingsFile()
    If Len(file) = 0 Then
        KeepUserSetting = Fmt(MSG_NOT_KEPT, Fmt(MSG_FOR_USER, "%LOCALAPPDATA%" & USER_SETTINGS), MSG_NO_USER_FOLDER)
        Exit Function
    End If
    If Not Exists(file) Then
        folder = Left$(file, InStrRev(file, "\") - 1)
        CreateDirectoryW StrPtr(folder), 0
        ReDim bom(0 To 1): bom(0) = &HFF: bom(1) = &HFE
        why = SaveBytes(file, bom)
        If Len(why) > 0 Then
            KeepUserSetting = Fmt(MSG_NOT_KEPT, Fmt(MSG_FOR_USER, file), why)
            Exit Function
        End If
    End If
    section = "settings"
    If Len(value) = 0 Then
        ok = WritePrivateProfileStringW(StrPtr(section), StrPtr(name), 0, StrPtr(file))
    Else
        ok = WritePrivateProfileStringW(StrPtr(section), StrPtr(name), StrPtr(value), StrPtr(file))
    End If
    If ok = 0 Then KeepUserSetting = Fmt(MSG_NOT_KEPT, Fmt(MSG_FOR_USER, file), Fmt(MSG_WRITE_FAILED, file, Err.LastDllError))
End Function

' Loads getavatar.dll once, by full path, so the Declares above resolve. "" on success, else a
' message listing every place tried and why each failed. After a VBA reset the DLL is still
' loaded: it is found by its name, and the client made before the reset is freed.
Private Function EnsureLoaded() As String
#If Mac Then
    EnsureLoaded = MSG_WINDOWS_ONLY
#Else
    Dim folders As Collection, f As Variant, c As Variant, tried As String, base As String, name As String
    If mLoaded Then Exit Function
    name = DLL_NAME
    If GetModuleHandleW(StrPtr(name)) <> 0 Then
        LoadedNow
        Exit Function
    End If
    Set folders = New Collection
    If Len(mLibraryPath) > 0 Then
        If LCase$(Right$(mLibraryPath, 4)) = ".dll" Then
            tried = TryLoad(mLibraryPath)
            If mLoaded Then Exit Function
        Else
            folders.Add mLibraryPath
        End If
    Else
        base = ThisWorkbook.Path
        If LCase$(Left$(base, 8)) = "https://" Or LCase$(Left$(base, 7)) = "http://" Then
            base = LocalFolderOf(base)                ' OneDrive / SharePoint: the synced folder
            If Len(base) = 0 Then tried = Fmt(MSG_TRIED, ThisWorkbook.Path, MSG_WEB_ONLY)
        End If
        If Len(base) > 0 Then folders.Add base
        If Len(EnvText("LOCALAPPDATA")) > 0 Then folders.Add EnvText("LOCALAPPDATA") & "\getavatar"
    End If
    For Each f In folders
        For Each c In Array(f & "\" & ARCH & "\" & DLL_NAME, f & "\" & DLL_NAME)
            tried = tried & TryLoad(CStr(c))
            If mLoaded Then Exit Function
        Next
    Next
    EnsureLoaded = Fmt(MSG_DLL_NOT_FOUND, tried)
#End If
End Function

' Loads one candidate: "" when loaded, else " path (why);" with Windows' reason.
Private Function TryLoad(ByVal path As String) As String
    Dim code As Long
    If Not Exists(path) Then
        TryLoad = Fmt(MSG_TRIED, path, MSG_NO_FILE)
    ElseIf LoadLibraryW(StrPtr(path)) <> 0 Then
        LoadedNow
    Else
        code = Err.LastDllError
        TryLoad = Fmt(MSG_TRIED, path, LoadFailure(code))
    End If
End Function

' Why LoadLibraryW failed, from its error code.
Private Function LoadFailure(ByVal code As Long) As String
    Select Case code
        Case 193
            If ARCH = "x64" Then LoadFailure = Fmt(MSG_LOAD_193, ARCH, 64) Else LoadFailure = Fmt(MSG_LOAD_193, ARCH, 32)
        Case 126: LoadFailure = MSG_LOAD_126
        Case 127: LoadFailure = MSG_LOAD_127
        Case 1260: LoadFailure = MSG_LOAD_1260
        Case 5: LoadFailure = MSG_LOAD_5
        Case Else: LoadFailure = Fmt(MSG_LOAD_OTHER, code)
    End Select
End Function

Private Sub LoadedNow()
    mLoaded = True
    FreeOrphan
End Sub

' The client's address in a variable of Excel's process (named after this workbook), which a VBA
' reset does not clear: after a reset the module frees the client it made before.
Private Function OrphanName() As String
    OrphanName = "GETAVATAR_VBA_CLIENT_" & CStr(ObjPtr(ThisWorkbook))
End Function

Private Sub RememberClient()
    Dim n As String, v As String
    n = OrphanName()
    If mClient = 0 Then
        SetEnvironmentVariableW StrPtr(n), 0
    Else
        v = CStr(mClient)
        SetEnvironmentVariableW StrPtr(n), StrPtr(v)
    End If
End Sub

Private Sub FreeOrphan()
    Dim n As String, v As String, c As LongPtr
    If mClient <> 0 Then Exit Sub
    n = OrphanName()
    v = EnvText(n)
    If Len(v) = 0 Then Exit Sub
    SetEnvironmentVariableW StrPtr(n), 0
#If VBA7 Then
    c = CLngPtr(v)
#Else
    c = CLng(v)
#End If
    If c <> 0 Then ga_client_free c
End Sub

' ------------------------------------------------------------------------------------------------
' Internals: paths, the registry, text
' ------------------------------------------------------------------------------------------------

' An environment variable through the wide call ("" when unset).
Private Function EnvText(ByVal name As String) As String
    Dim n As Long, buf As String
    n = GetEnvironmentVariableW(StrPtr(name), 0, 0)
    If n = 0 Then Exit Function
    buf = String$(n, vbNullChar)
    n = GetEnvironmentVariableW(StrPtr(name), StrPtr(buf), n)
    EnvText = Left$(buf, n)
End Function

Private Function Exists(ByVal path As String) As Boolean
    Exists = (GetFileAttributesW(StrPtr(path)) <> INVALID_FILE_ATTRIBUTES)
End Function

Private Function IsFolder(ByVal path As String) As Boolean
    Dim a As Long
    a = GetFileAttributesW(StrPtr(path))
    IsFolder = (a <> INVALID_FILE_ATTRIBUTES And (a And FILE_ATTRIBUTE_DIRECTORY) <> 0)
End Function

' The local folder OneDrive syncs a workbook's https:// folder to, or "". Read from OneDrive's
' registry keys (each synced library's UrlNamespace and MountPoint; each account's UserUrl or cid
' and UserFolder), then the OneDriveCommercial / OneDriveConsumer / OneDrive variables.
Private Function LocalFolderOf(ByVal url As String) As String
    Dim roots As Collection, r As Variant, prefix As String, folder As String, p As Long
    Set roots = New Collection
    For Each r In RegSubkeys("Software\SyncEngines\Providers\OneDrive")
        roots.Add Array(RegText(CStr(r), "UrlNamespace"), RegText(CStr(r), "MountPoint"))
    Next
    For Each r In RegSubkeys("Software\Microsoft\OneDrive\Accounts")
        If Len(RegText(CStr(r), "UserUrl")) > 0 Then roots.Add Array(RegText(CStr(r), "UserUrl") & "/Documents", RegText(CStr(r), "UserFolder"))
        If Len(RegText(CStr(r), "cid")) > 0 Then roots.Add Array("https://d.docs.live.net/" & RegText(CStr(r), "cid"), RegText(CStr(r), "UserFolder"))
    Next
    p = InStr(1, url, "-my.sharepoint.com/personal/", vbTextCompare)
    If p > 0 Then
        p = InStr(p, url, "/Documents", vbTextCompare)
        If p > 0 Then roots.Add Array(Left$(url, p + 9), EnvText("OneDriveCommercial"))
    ElseIf LCase$(Left$(url, 24)) = "https://d.docs.live.net/" Then
        p = InStr(25, url & "/", "/")
        roots.Add Array(Left$(url, p - 1), EnvText("OneDriveConsumer"))
        roots.Add Array(Left$(url, p - 1), EnvText("OneDrive"))
    End If
    For Each r In roots
        prefix = r(0): folder = r(1)
        If Right$(prefix, 1) = "/" Then prefix = Left$(prefix, Len(prefix) - 1)
        If Right$(folder, 1) = "\" Then folder = Left$(folder, Len(folder) - 1)
        If Len(prefix) > 0 And Len(folder) > 0 And StrComp(Left$(url & "/", Len(prefix) + 1), prefix & "/", vbTextCompare) = 0 Then
            folder = folder & Replace(UrlDecode(Mid$(url, Len(prefix) + 1)), "/", "\")
            If IsFolder(folder) Then
                LocalFolderOf = folder
                Exit Function
            End If
        End If
    Next
End Function

' "%20" and other %XX escapes of an address path back to text (UTF-8).
Private Function UrlDecode(ByVal s As String) As String
    Dim b() As Byte, n As Long, i As Long, out() As Byte, w As Long, t As String
    If InStr(s, "%") = 0 Then UrlDecode = s: Exit Function
    b = ToUtf8(s)
    ReDim out(0 To UBound(b))
    For i = 0 To UBound(b) - 1
        If b(i) = 37 And i + 2 < UBound(b) Then
            If IsHex(b(i + 1)) And IsHex(b(i + 2)) Then
                out(n) = CByte(Val("&H" & Chr$(b(i + 1)) & Chr$(b(i + 2)))): n = n + 1: i = i + 2
                GoTo NextByte
            End If
        End If
        out(n) = b(i): n = n + 1
NextByte:
    Next
    If n = 0 Then Exit Function
    w = MultiByteToWideChar(CP_UTF8, 0, VarPtr(out(0)), n, 0, 0)
    t = String$(w, vbNullChar)
    MultiByteToWideChar CP_UTF8, 0, VarPtr(out(0)), n, StrPtr(t), w
    UrlDecode = t
End Function

Private Function IsHex(ByVal c As Byte) As Boolean
    IsHex = (c >= 48 And c <= 57) Or (c >= 65 And c <= 70) Or (c >= 97 And c <= 102)
End Function

' The full names of a registry key's subkeys under HKEY_CURRENT_USER (none when it is absent).
Private Function RegSubkeys(ByVal path As String) As Collection
    Dim h As LongPtr, i As Long, n As Long, buf As String
    Set RegSubkeys = New Collection
    If RegOpenKeyExW(HKEY_CURRENT_USER, StrPtr(path), 0, KEY_READ, VarPtr(h)) <> 0 Then Exit Function
    Do
        buf = String$(256, vbNullChar): n = 256
        If RegEnumKeyExW(h, i, StrPtr(buf), VarPtr(n), 0, 0, 0, 0) <> 0 Then Exit Do
        RegSubkeys.Add path & "\" & Left$(buf, n)
        i = i + 1
    Loop
    RegCloseKey h
End Function

' A text value under HKEY_CURRENT_USER, or "".
Private Function RegText(ByVal path As String, ByVal valueName As String) As String
    Dim h As LongPtr, kind As Long, size As Long, buf As String
    If RegOpenKeyExW(HKEY_CURRENT_USER, StrPtr(path), 0, KEY_READ, VarPtr(h)) <> 0 Then Exit Function
    buf = String$(1024, vbNullChar): size = 2048
    If RegQueryValueExW(h, StrPtr(valueName), 0, VarPtr(kind), StrPtr(buf), VarPtr(size)) = 0 Then
        If kind = REG_SZ Then RegText = Left$(buf, InStr(buf & vbNullChar, vbNullChar) - 1)
    End If
    RegCloseKey h
End Function

' A cell's value as text: numbers typed into cells come as Doubles (1E+07): write them out in full.
Private Function CellText(ByVal v As Variant) As String
    If IsObject(v) Then v = v.Value
    Select Case VarType(v)
        Case vbDouble, vbSingle, vbCurrency, vbDecimal, vbLong, vbInteger
            CellText = Format$(v, "0")
        Case vbString
            CellText = v
        Case vbEmpty
            CellText = ""
        Case Else
            CellText = CStr(v)
    End Select
End Function


' The module's text in Excel's UI language: `text` when it is not one of the MSG_ constants or
' Excel is not Russian; else its Russian form (RU_ constants).
Private Function Tr(ByVal text As String) As String
    Tr = text
    If Not RussianUi() Then Exit Function
    Select Case text
        Case MSG_WINDOWS_ONLY: Tr = Unescape(RU_WINDOWS_ONLY)
        Case MSG_NOT_CONNECTED: Tr = Unescape(RU_NOT_CONNECTED)
        Case MSG_DLL_NOT_FOUND: Tr = Unescape(RU_DLL_NOT_FOUND)
        Case MSG_TRIED: Tr = Unescape(RU_TRIED)
        Case MSG_NO_FILE: Tr = Unescape(RU_NO_FILE)
        Case MSG_WEB_ONLY: Tr = Unescape(RU_WEB_ONLY)
        Case MSG_LOAD_193: Tr = Unescape(RU_LOAD_193)
        Case MSG_LOAD_126: Tr = Unescape(RU_LOAD_126)
        Case MSG_LOAD_127: Tr = Unescape(RU_LOAD_127)
        Case MSG_LOAD_1260: Tr = Unescape(RU_LOAD_1260)
        Case MSG_LOAD_5: Tr = Unescape(RU_LOAD_5)
        Case MSG_LOAD_OTHER: Tr = Unescape(RU_LOAD_OTHER)
        Case MSG_ESC: Tr = Unescape(RU_ESC)
        Case MSG_VBA_ERROR: Tr = Unescape(RU_VBA_ERROR)
        Case MSG_DLL_CALL_FAILED: Tr = Unescape(RU_DLL_CALL_FAILED)
        Case MSG_EXCEL_ERROR: Tr = Unescape(RU_EXCEL_ERROR)
        Case MSG_ONE_CELL: Tr = Unescape(RU_ONE_CELL)
        Case MSG_PAUSED: Tr = Unescape(RU_PAUSED)
        Case MSG_SETTING_FAILED: Tr = Unescape(RU_SETTING_FAILED)
        Case MSG_IN_WORKBOOK: Tr = Unescape(RU_IN_WORKBOOK)
        Case MSG_FOR_USER: Tr = Unescape(RU_FOR_USER)
        Case MSG_NOT_KEPT: Tr = Unescape(RU_NOT_KEPT)
        Case MSG_NO_USER_FOLDER: Tr = Unescape(RU_NO_USER_FOLDER)
        Case MSG_CONNECTED: Tr = Unescape(RU_CONNECTED)
        Case MSG_CONNECTED_NOT_KEPT: Tr = Unescape(RU_CONNECTED_NOT_KEPT)
        Case MSG_NOT_SENT: Tr = Unescape(RU_NOT_SENT)
        Case MSG_WRITE_FAILED: Tr = Unescape(RU_WRITE_FAILED)
        Case MSG_ASK_API_URL: Tr = Unescape(RU_ASK_API_URL)
        Case MSG_ASK_ID_INSTANCE: Tr = Unescape(RU_ASK_ID_INSTANCE)
        Case MSG_ASK_TOKEN: Tr = Unescape(RU_ASK_TOKEN)
        Case MSG_TOKEN_STORED: Tr = Unescape(RU_TOKEN_STORED)
        Case MSG_ASK_DELETE: Tr = Unescape(RU_ASK_DELETE)
        Case MSG_TOKEN_DELETED: Tr = Unescape(RU_TOKEN_DELETED)
        Case MSG_ASK_IDS: Tr = Unescape(RU_ASK_IDS)
        Case MSG_ASK_LINK_CELLS: Tr = Unescape(RU_ASK_LINK_CELLS)
        Case MSG_ASK_PICTURE_CELLS: Tr = Unescape(RU_ASK_PICTURE_CELLS)
        Case MSG_ASK_FOLDER: Tr = Unescape(RU_ASK_FOLDER)
        Case MSG_ASK_PATH_CELLS: Tr = Unescape(RU_ASK_PATH_CELLS)
        Case MSG_OVERWRITE: Tr = Unescape(RU_OVERWRITE)
        Case MSG_OVERLAP: Tr = Unescape(RU_OVERLAP)
        Case MSG_ONE_AREA: Tr = Unescape(RU_ONE_AREA)
        Case MSG_NO_DEST: Tr = Unescape(RU_NO_DEST)
        Case MSG_RUN_DONE: Tr = Unescape(RU_RUN_DONE)
        Case MSG_RUN_STOPPED: Tr = Unescape(RU_RUN_STOPPED)
        Case MSG_RUN_FAILURES: Tr = Unescape(RU_RUN_FAILURES)
        Case MSG_PROGRESS: Tr = Unescape(RU_PROGRESS)
        Case MSG_LINKS: Tr = Unescape(RU_LINKS)
        Case MSG_PICTURES: Tr = Unescape(RU_PICTURES)
        Case MSG_DOWNLOADS: Tr = Unescape(RU_DOWNLOADS)
        Case MSG_UNKNOWN: Tr = Unescape(RU_UNKNOWN)
        Case MSG_OUT_OF_MEMORY: Tr = Unescape(RU_OUT_OF_MEMORY)
    End Select
End Function

' Whether Excel's UI language is Russian (LanguageID(msoLanguageIDUI) = 1049), asked once.
Private Function RussianUi() As Boolean
    If mUiLanguage = 0 Then
        mUiLanguage = 1
        On Error Resume Next
        If Application.LanguageSettings.LanguageID(2) = 1049 Then mUiLanguage = 2
        On Error GoTo 0
    End If
    RussianUi = (mUiLanguage = 2)
End Function

' The language tag for the DLL's messages: "ru" or "en", as Excel's UI.
Private Function UiLanguageTag() As String
    If RussianUi() Then UiLanguageTag = "ru" Else UiLanguageTag = "en"
End Function

' `s` with each \uXXXX replaced by that UTF-16 character.
Private Function Unescape(ByVal s As String) As String
    Dim p As Long, out As String
    p = InStr(s, "\u")
    Do While p > 0
        out = out & Left$(s, p - 1) & ChrW(CLng("&H" & Mid$(s, p + 2, 4)))
        s = Mid$(s, p + 6)
        p = InStr(s, "\u")
    Loop
    Unescape = out & s
End Function

' Fills %1, %2, ... in a message with the arguments (a "%" not followed by a digit stays).
Private Function Fmt(ByVal text As String, ParamArray args() As Variant) As String
    Dim p As Long, k As Long, out As String
    text = Tr(text)
    p = InStr(text, "%")
    Do While p > 0
        k = 0
        If p < Len(text) Then k = InStr("123456789", Mid$(text, p + 1, 1))
        If k > 0 And k - 1 <= UBound(args) Then
            If VarType(args(k - 1)) = vbString Then
                out = out & Left$(text, p - 1) & Tr(CStr(args(k - 1)))
            Else
                out = out & Left$(text, p - 1) & CStr(args(k - 1))
            End If
            text = Mid$(text, p + 2)
        Else
            out = out & Left$(text, p)
            text = Mid$(text, p + 1)
        End If
        p = InStr(text, "%")
    Loop
    Fmt = out & text
End Function

' This thread's last error from the DLL.
' (Nothing when the DLL is not loaded: no call into it on such an error path.)
Private Function LastError() As String
    If mLoaded Then LastError = FromUtf8(ga_last_error())
End Function

' UTF-16 (VBA) to NUL-terminated UTF-8 bytes.
Private Function ToUtf8(ByVal s As String) As Byte()
    Dim b() As Byte, n As Long
    n = 0
    If Len(s) > 0 Then n = WideCharToMultiByte(CP_UTF8, 0, StrPtr(s), Len(s), 0, 0, 0, 0)
    ReDim b(0 To n)
    If n > 0 Then WideCharToMultiByte CP_UTF8, 0, StrPtr(s), Len(s), VarPtr(b(0)), n, 0, 0
    b(n) = 0
    ToUtf8 = b
End Function

' Copies a NUL-terminated UTF-8 string out of the DLL (lstrlenA + RtlMoveMemory) into a VBA String.
Private Function FromUtf8(ByVal p As LongPtr) As String
    Dim n As Long, w As Long, b() As Byte, s As String
    If p = 0 Then Exit Function
    n = lstrlenA(p)
    If n = 0 Then Exit Function
    ReDim b(0 To n - 1)
    RtlMoveMemory VarPtr(b(0)), p, n
    w = MultiByteToWideChar(CP_UTF8, 0, VarPtr(b(0)), n, 0, 0)
    s = String$(w, vbNullChar)
    MultiByteToWideChar CP_UTF8, 0, VarPtr(b(0)), n, StrPtr(s), w
    FromUtf8 = s
End Function

' The number of dimensions of an array.
Private Function ArrayDims(ByRef v As Variant) As Long
    Dim d As Long, x As Long
    On Error GoTo Done
    Do
        x = UBound(v, d + 1)
        d = d + 1
    Loop
Done:
    ArrayDims = d
End Function

Private Function PeekLong(ByVal p As LongPtr) As Long
    Dim v As Long
    RtlMoveMemory VarPtr(v), p, 4
    PeekLong = v
End Function

Private Function PeekPtr(ByVal p As LongPtr) As LongPtr
    Dim v As LongPtr
    RtlMoveMemory VarPtr(v), p, PTR_SIZE
    PeekPtr = v
End Function
