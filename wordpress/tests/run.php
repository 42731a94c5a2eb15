<?php
/**
 * Runs every test_* function in wordpress/tests/test-*.php; exits 1 when any fails.
 *
 * Usage: php wordpress/tests/run.php [name-filter]
 *
 * @package Aftercare\Tests
 */

define( 'ABSPATH', __DIR__ . '/' );
error_reporting( E_ALL );
set_error_handler(
	static function ( int $severity, string $message, string $file, int $line ): bool {
		throw new ErrorException( $message, 0, $severity, $file, $line );
	}
);

require __DIR__ . '/stubs/wordpress.php';
require __DIR__ . '/lib.php';
wpstub_reset();
require dirname( __DIR__ ) . '/aftercare-for-woocommerce/aftercare-for-woocommerce.php';

$before = get_defined_functions()['user'];
foreach ( glob( __DIR__ . '/test-*.php' ) as $file ) {
	require $file;
}
$tests  = array_filter( array_diff( get_defined_functions()['user'], $before ), static function ( $name ) {
	return 0 === strpos( $name, 'test_' ) && ( ! isset( $GLOBALS['argv'][1] ) || false !== strpos( $name, $GLOBALS['argv'][1] ) );
} );
$failed = 0;
foreach ( $tests as $test ) {
	wpstub_reset();
	wpstub_boot();
	try {
		$test();
		echo "ok   $test\n";
	} catch ( Throwable $error ) {
		$failed++;
		printf( "FAIL %s: %s: %s\n  at %s:%d\n", $test, get_class( $error ), $error->getMessage(), $error->getFile(), $error->getLine() );
	}
}
// WordPress 6.7 logs a notice for every string translated before init: none, in any test.
$early = array_unique( array_map( static function ( array $call ): string {
	return sprintf( "%s( '%s', '%s' ) during %s", $call['function'], $call['text'], $call['domain'], var_export( $call['action'], true ) );
}, wpstub_translations_before_init() ) );
if ( array() !== $early ) {
	$failed++;
	printf( "FAIL strings translated before init (WordPress 6.7 logs a notice for each):\n  %s\n", implode( "\n  ", $early ) );
}
printf( "%d tests, %d failed\n", count( $tests ), $failed );
exit( $failed > 0 || 0 === count( $tests ) ? 1 : 0 );
